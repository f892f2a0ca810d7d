"""The pathway world as an experiment station: each design built, grown and assayed whole.

For benchmarks that need many campaigns fast: instead of a robot run per
plate, the station takes one design (its promoter, RBS and backbone choices)
and the number of replicate wells, and reports what a plate would have told
of it: the build fails at the world's failure rate (then no well grows);
otherwise each replicate grows in a well drawn from the key (position effects
included) and is read with the assay noise, and a few wells die
(``death_rate``). Every draw is keyed, so recalling a run repeats it exactly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np

from drivers.base import DeviceIdentity
from drivers.errors import DeviceError
from drivers.station import Conditions, StationBackend
from simulators.pathway.world import BuildFailure, PathwayWorld

ROWS = "ABCDEFGH"


class PathwayStation(StationBackend):
    """Builds, grows and reads one design in replicate wells of the pathway world."""

    def __init__(self, name: str, world: PathwayWorld, death_rate: float = 0.01) -> None:
        self.name = name
        self.world = world
        self.death_rate = death_rate

    def identify(self) -> DeviceIdentity:
        """A simulated biofoundry station."""
        return DeviceIdentity(model="pathway world station")

    def run(self, conditions: Conditions, key: str) -> Mapping[str, float]:
        """Titer, OD600 and titer per OD (means of the live wells) and how many wells grew.

        Raises:
            DeviceError: A condition names no parameter of the space, or a part it lacks.
        """
        names = self.world.space.search_space().names
        missing = [n for n in names if n not in conditions]
        if missing:
            raise DeviceError(self.name, f"conditions lack {', '.join(missing)}")
        design = {n: conditions[n] for n in names}
        replicates = int(conditions.get("replicates", 3))
        try:
            self.world.build(design, key)
        except BuildFailure:
            return {"live_wells": 0.0}
        except Exception as exc:  # an unknown part: the station cannot build it
            raise DeviceError(self.name, f"cannot build {design}: {exc}") from None
        true = self.world.truth([design])[0]
        rng = _rng(self.world.seed, key)
        readings = []
        for replicate in range(replicates):
            well = f"{ROWS[int(rng.integers(8))]}{int(rng.integers(1, 13))}"
            if rng.random() < self.death_rate:
                continue
            readings.append(self.world.noisy(true, well, f"{key}/{replicate}"))
        if not readings:
            return {"live_wells": 0.0}
        titer = np.array([r.titer_mg_l for r in readings])
        od = np.array([r.od600 for r in readings])
        out = {
            "titer_mg_l": float(titer.mean()),
            "od600": float(od.mean()),
            "titer_per_od": float((titer / od).mean()),
            "live_wells": float(len(readings)),
        }
        if len(readings) > 1:
            out["titer_sd_mg_l"] = float(titer.std(ddof=1))
        return out

    def recall(self, key: str, conditions: Conditions) -> Mapping[str, float] | None:
        """The run of ``key`` again: every draw is keyed, so it reports what it first did."""
        return self.run(conditions, key)


def _rng(seed: int, key: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}|station|{key}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))
