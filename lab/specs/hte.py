"""The campaign file's protocol section for high-throughput-experimentation plates.

```yaml
protocol:
  builder: hte_plate
  liquid_handler: ot2
  plate: plate
  reaction_volume_ul: 150
  limiting: {role: aryl_halide, stock: aryl_bromide, concentration_mol_l: 0.1}
  reagents:
    - {role: catalyst, choose_by: ligand, options: {XPhos: xphos_pd}, equivalents: 0.02}
    - {role: base, choose_by: base, equivalents: base_equiv}
  solvent: {role: solvent, stock: dmso}
  randomize_wells: true
  seed: 11
  plate_reader: reader
  readout: {yield_pct: "%"}
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from protocols.hte import PlateRecipe


class HteProtocolSpec(PlateRecipe):
    """How a batch of designs becomes one plate, and what the plate reader reports.

    The recipe fields are those of :class:`protocols.hte.PlateRecipe`;
    ``readout`` names each quantity read per well, with its unit (the
    objectives must be among them).
    """

    builder: Literal["hte_plate"] = "hte_plate"
    readout: dict[str, str] = Field(min_length=1, description="quantity read per well → unit")

    @model_validator(mode="after")
    def _reader_for_readout(self) -> HteProtocolSpec:
        if self.plate_reader is None:
            raise ValueError("plate_reader: name the device that reads the plate")
        return self

    def recipe(self) -> PlateRecipe:
        """The recipe alone, as the protocol builder takes it."""
        return PlateRecipe.model_validate(self.model_dump(exclude={"builder", "readout"}))
