"""The lab file's ``biofoundry`` section: the simulated world behind a biofoundry's devices.

```yaml
biofoundry:
  parts_file: ../parts/carotenoid_parts.csv   # relative to the lab file
  genes: [crtE, crtB, crtI, crtY]
  seed: 0
```

The parts file is the one the campaign designs from (the parts on the
simulated freezer's shelf); the genes are the pathway's enzymes in order.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from planner.pathway.design import PathwaySpace
from planner.pathway.parts import PartsFileError, parse_parts_csv
from simulators.pathway.world import PathwayWorld


class BiofoundrySpec(BaseModel):
    """The simulated pathway world of a lab's ``simulated_biofoundry`` devices."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parts_file: Path
    genes: tuple[str, ...] = Field(min_length=1)
    seed: int = 0
    failure_rate: float = Field(default=0.05, ge=0, le=1)
    noise_sd: float = Field(default=0.15, ge=0, le=2)
    death_rate: float = Field(default=0.01, ge=0, le=1)

    def resolved(self, base_dir: Path) -> BiofoundrySpec:
        """The spec with a relative parts file resolved against ``base_dir``."""
        if self.parts_file.is_absolute():
            return self
        return self.model_copy(update={"parts_file": (base_dir / self.parts_file).resolve()})

    def world(self) -> PathwayWorld:
        """The pathway world over the parts file (default levels for every gene).

        Raises:
            PartsFileError: The parts file is missing or wrong.
        """
        try:
            text = self.parts_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise PartsFileError(f"parts file {self.parts_file}: cannot read: {exc}") from None
        library = parse_parts_csv(text, str(self.parts_file))
        space = PathwaySpace(library, self.genes)
        return PathwayWorld(
            space, failure_rate=self.failure_rate, noise_sd=self.noise_sd, seed=self.seed
        )
