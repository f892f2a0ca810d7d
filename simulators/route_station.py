"""The route world behind the station interface: a recipe in, each step's yield out.

The conditions of one run name the route's steps, ``s1_…`` to ``sN_…``:
``class`` (reaction class), ``reaction`` (reaction SMILES, which seeds the
step's response), ``solvents`` (the step's solvent classes, ``|``-separated,
best first in the world's draw), and the chosen ``temperature_c``,
``equivalents``, ``time_min`` and ``solvent``; ``steps`` says how many there
are. The outcomes are ``yield_pct`` (the route) and ``s<i>_yield_pct``.
"""

from __future__ import annotations

from collections.abc import Mapping

from drivers.base import DeviceIdentity
from drivers.errors import DeviceError
from drivers.station import Conditions, StationBackend
from simulators.route_world import RouteWorld, StepConditions, StepResponse

MAX_STEPS = 6
"""Routes of up to this many steps can be run."""


def parse_steps(
    world: RouteWorld, conditions: Conditions
) -> list[tuple[StepResponse, StepConditions]]:
    """The steps of a run: each step's response and conditions.

    Raises:
        ValueError: A missing or mistyped condition, named.
    """
    count = int(float(conditions.get("steps", 0)))
    if not 1 <= count <= MAX_STEPS:
        raise ValueError(f"'steps' must be 1-{MAX_STEPS}; got {conditions.get('steps')!r}")
    steps = []
    for i in range(1, count + 1):
        try:
            solvents = str(conditions[f"s{i}_solvents"]).split("|")
            response = world.response(
                str(conditions[f"s{i}_class"]), str(conditions[f"s{i}_reaction"]), solvents
            )
            chosen = StepConditions(
                temperature_c=float(conditions[f"s{i}_temperature_c"]),
                equivalents=float(conditions[f"s{i}_equivalents"]),
                time_min=float(conditions[f"s{i}_time_min"]),
                solvent=str(conditions[f"s{i}_solvent"]),
            )
        except KeyError as exc:
            raise ValueError(f"step {i} lacks condition {exc.args[0]!r}") from None
        steps.append((response, chosen))
    return steps


class RouteWorldStation(StationBackend):
    """Runs recipes in the route world; remembers each run by key."""

    def __init__(self, name: str, world: RouteWorld) -> None:
        self.name = name
        self.world = world
        self._runs: dict[str, dict[str, float]] = {}

    def identify(self) -> DeviceIdentity:
        """A simulated instrument, naming its seed and noise."""
        return DeviceIdentity(
            model="route world (simulated)",
            details={
                "seed": str(self.world.seed),
                "noise_relative_sd": f"{self.world.noise_relative_sd:g}",
            },
        )

    def run(self, conditions: Conditions, key: str) -> Mapping[str, float]:
        """Every step's observed yield and the route's."""
        try:
            steps = parse_steps(self.world, conditions)
        except ValueError as exc:
            raise DeviceError(self.name, str(exc)) from None
        yields = self.world.observe(steps, key)
        values = {f"s{i}_yield_pct": 100.0 * y for i, y in enumerate(yields, start=1)}
        values["yield_pct"] = 100.0 * RouteWorld.overall(yields)
        self._runs[key] = values
        return values

    def recall(self, key: str, conditions: Conditions) -> Mapping[str, float] | None:
        """A run's outcomes: from memory, else replayed (the world is deterministic per key)."""
        return self._runs.get(key) or self.run(conditions, key)
