"""The ``pathway`` protocol section: a genetic design space built, grown and assayed.

```yaml
protocol:
  builder: pathway
  parts_file: parts/carotenoid_parts.csv   # relative to the campaign file
  genes: [crtE, crtB, crtI, crtY]
  max_parts: 17                            # optional design-space options
  liquid_handler: ot2
  incubator: incubator
  plate_reader: reader
  replicates: 3
  incubation: {temperature_c: 30, duration_h: 24, shaking_rpm: 250}
```

The campaign's ``parameters`` are not written by hand: they are the design
space of the parts file (a promoter and an RBS per gene, the backbone when
there are several, the gene order with ``vary_order``), derived when the
file is loaded (:func:`pathway_parameters`). A campaign that lists them
anyway must list exactly those.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.pathway.design import PathwaySpace
from planner.pathway.parts import PartsFileError, parse_parts_csv


class IncubationSpec(BaseModel):
    """How the culture plates grow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature_c: float = Field(default=30.0, gt=0, lt=80)
    duration_h: float = Field(default=24.0, gt=0, le=240)
    shaking_rpm: float = Field(default=250.0, ge=0, le=1500)


class AssaySpec(BaseModel):
    """What the plate reader reads and how absorbance becomes titer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    od_quantity: str = "absorbance_600nm"
    product_quantity: str = "absorbance_472nm"
    slope_per_mg_l: float = Field(default=4.0e-4, gt=0, description="standard curve slope")
    intercept: float = 0.0
    dead_od: float = Field(default=0.05, gt=0, description="OD600 above blank of a live well")


class PathwayProtocolSpec(BaseModel):
    """Each batch is one build-and-test plate (see :mod:`protocols.pathway_plate`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    builder: Literal["pathway"] = "pathway"
    parts_file: str = Field(description="parts CSV, relative to the campaign file")
    genes: tuple[str, ...] = Field(min_length=1)
    promoters: dict[str, tuple[str, ...]] = {}
    rbs: dict[str, tuple[str, ...]] = {}
    backbones: tuple[str, ...] = ()
    terminators: tuple[str, ...] = ()
    vary_order: bool = False
    allow_operon: bool = False
    max_parts: int | None = Field(default=None, ge=1)
    liquid_handler: str | None = None
    incubator: str | None = None
    plate_reader: str | None = None
    station: str | None = Field(
        default=None,
        description="instead of the three devices: a station that builds, grows and assays "
        "each design whole (the pathway world for fast benchmarks)",
    )
    replicates: int = Field(default=3, ge=1, le=8)
    avoid_edges: bool = False
    seed: int = Field(default=0, description="seeds the well positions of every plate")
    incubation: IncubationSpec = IncubationSpec()
    assay: AssaySpec = AssaySpec()

    @model_validator(mode="after")
    def _devices(self) -> PathwayProtocolSpec:
        plate = (self.liquid_handler, self.incubator, self.plate_reader)
        if self.station is None and None in plate:
            raise ValueError(
                "name the liquid_handler, incubator and plate_reader of the lab (or a station)"
            )
        if self.station is not None and any(d is not None for d in plate):
            raise ValueError("give either a station or the plate devices, not both")
        return self

    def space(self) -> PathwaySpace:
        """The design space over the parts file (its path as given, or as resolved at load).

        Raises:
            PartsFileError: The file is missing or wrong, or names unknown parts.
        """
        path = Path(self.parts_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PartsFileError(f"parts file {path}: cannot read: {exc.strerror}") from None
        library = parse_parts_csv(text, path.name)
        return PathwaySpace(
            library,
            self.genes,
            promoters=self.promoters,
            rbs=self.rbs,
            backbones=self.backbones,
            terminators=self.terminators,
            vary_order=self.vary_order,
            allow_operon=self.allow_operon,
            max_parts=self.max_parts,
        )


def pathway_parameters(data: Mapping[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """A campaign mapping with a pathway section's parts file resolved and parameters derived.

    Args:
        data: The campaign file's mapping (not yet validated).
        base_dir: The campaign file's folder (relative parts files are resolved there).

    Raises:
        ValueError: The section is malformed, the parts file is bad, or given
            parameters differ from the parts file's design space.
    """
    out = dict(data)
    section = dict(out["protocol"])
    path = Path(str(section.get("parts_file", "")))
    if base_dir is not None and not path.is_absolute():
        path = (base_dir / path).resolve()
    section["parts_file"] = str(path)
    out["protocol"] = section
    try:
        spec = PathwayProtocolSpec.model_validate(section)
    except ValueError:
        return out  # the section's own errors are reported by the model, field by field
    try:
        space = spec.space().search_space()
    except PartsFileError as exc:
        raise ValueError(f"protocol.parts_file: {exc}") from None
    derived = [p.model_dump(mode="json", exclude_none=True) for p in space.parameters]
    given = out.get("parameters")
    if given is not None and _plain(given) != _plain(derived):
        names = ", ".join(p["name"] for p in derived)
        raise ValueError(
            "parameters: a pathway campaign's parameters come from its parts file "
            f"({names}); remove the parameters key"
        )
    out["parameters"] = derived
    return out


def _plain(parameters: Any) -> list[Any]:
    return [
        {k: list(v) if isinstance(v, tuple | list) else v for k, v in p.items() if v is not None}
        for p in parameters
    ]
