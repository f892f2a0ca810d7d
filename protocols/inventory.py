"""The lab's reagent inventory: which species it holds, at what concentration, and where.

```yaml
reagents:
  - {species: 4-bromoaniline, smiles: Nc1ccc(Br)cc1, concentration_mol_l: 1.0, position: pump_a}
  - {species: HATU, concentration_mol_l: 0.5, position: stocks/B1}
  - {species: DMF, solvent_class: polar_aprotic, position: pump_dmf}
```

``position`` is the pump that draws the reagent (flow) or ``labware/well`` on
a liquid handler's deck (batch). A neat solvent has a ``solvent_class`` and no
concentration. A route's species are found in the inventory by SMILES when
both sides give one, else by name (case-insensitive).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rdkit import Chem


class ReagentSpec(BaseModel):
    """One reagent (or neat solvent) the lab holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    species: str = Field(min_length=1)
    smiles: str | None = None
    concentration_mol_l: float | None = Field(default=None, gt=0)
    position: str = Field(min_length=1, description="pump name, or labware/well on a deck")
    solvent_class: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ReagentSpec:
        if self.smiles is not None and Chem.MolFromSmiles(self.smiles) is None:
            raise ValueError(f"reagent {self.species!r}: {self.smiles!r} is not a valid SMILES")
        if self.solvent_class is None and self.concentration_mol_l is None:
            raise ValueError(
                f"reagent {self.species!r} needs concentration_mol_l (or solvent_class for a "
                "neat solvent)"
            )
        return self

    @property
    def canonical_smiles(self) -> str | None:
        """The SMILES in RDKit canonical form."""
        if self.smiles is None:
            return None
        return str(Chem.MolToSmiles(Chem.MolFromSmiles(self.smiles)))

    @property
    def well(self) -> tuple[str, str] | None:
        """``(labware, well)`` when the position is on a deck."""
        labware, sep, well = self.position.partition("/")
        return (labware, well) if sep else None


def find_reagent(
    inventory: tuple[ReagentSpec, ...], name: str, smiles: str | None
) -> ReagentSpec | None:
    """The inventory entry for a species (by SMILES when both give one, else by name)."""
    for reagent in inventory:
        if smiles is not None and reagent.canonical_smiles == smiles:
            return reagent
    lowered = name.lower()
    return next((r for r in inventory if r.species.lower() == lowered), None)


def solvent_for(inventory: tuple[ReagentSpec, ...], solvent_class: str) -> ReagentSpec | None:
    """The first neat solvent of ``solvent_class`` in the inventory."""
    return next((r for r in inventory if r.solvent_class == solvent_class), None)
