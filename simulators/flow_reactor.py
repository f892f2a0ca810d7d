"""A simulated flow reactor running the SnAr chemistry, behind real driver interfaces.

Pumps draw from stock solutions, a heater ramps the reactor at a finite rate,
and an analyzer samples the outlet. The outlet follows the kinetic model at
the current flows and temperature, but only after the reactor has been
flushed: after any change, it moves from the old to the new steady state as
the step response of ten tanks in series, so a protocol that samples too soon
measures a mixture. Analyzer noise is seeded by the command's idempotency
key, so re-reading the same sample gives the same answer.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from drivers.analyzer import AnalyzerBackend
from drivers.base import DeviceIdentity
from drivers.clock import Clock
from drivers.heater import HeaterBackend
from drivers.pump import PumpBackend
from simulators.snar import SPECIES, outlet_concentrations

TANKS_IN_SERIES = 10
AMBIENT_C = 25.0


@dataclass(frozen=True)
class Stock:
    """What a pump's reservoir holds: a species at a concentration, or pure solvent."""

    species: str | None
    concentration_mol_l: float = 0.0


class SimulatedFlowReactor:
    """The simulated world shared by the pumps, heater and analyzer of one flow lab."""

    def __init__(
        self,
        clock: Clock,
        reactor_volume_ml: float,
        noise_relative_sd: float = 0.0,
        ramp_c_per_min: float = 10.0,
    ) -> None:
        self.clock = clock
        self.reactor_volume_ml = reactor_volume_ml
        self.noise_relative_sd = noise_relative_sd
        self.ramp_c_per_min = ramp_c_per_min
        self.stocks: dict[str, Stock] = {}
        self.flows_ml_min: dict[str, float] = {}
        self._setpoint_c = AMBIENT_C
        self._ramp_start = (0.0, AMBIENT_C)  # (time s, temperature °C) when the ramp began
        self._changed_at_s = 0.0
        self._outlet_before = np.zeros(len(SPECIES))
        self._steady_cache: tuple[object, np.ndarray] | None = None
        self.executed_keys: list[str] = []

    # ------------------------------------------------------------------ state
    def add_pump(self, name: str, stock: Stock) -> SimulatedPump:
        """Connect a pump drawing from ``stock`` and return its backend."""
        self.stocks[name] = stock
        self.flows_ml_min[name] = 0.0
        return SimulatedPump(self, name)

    def temperature_c(self) -> float:
        """Reactor temperature now, ramping linearly toward the setpoint."""
        start_s, start_c = self._ramp_start
        elapsed_min = (self.clock.now_s() - start_s) / 60.0
        step = self.ramp_c_per_min * elapsed_min
        if start_c < self._setpoint_c:
            return min(start_c + step, self._setpoint_c)
        return max(start_c - step, self._setpoint_c)

    def total_flow_ml_min(self) -> float:
        """Sum of all pump flows."""
        return sum(self.flows_ml_min.values())

    def steady_outlet(self) -> np.ndarray:
        """Outlet concentrations (mol/L, species order of :data:`SPECIES`) at steady state."""
        state = (tuple(sorted(self.flows_ml_min.items())), round(self.temperature_c(), 6))
        if self._steady_cache is None or self._steady_cache[0] != state:
            self._steady_cache = (state, self._integrate())
        return self._steady_cache[1]

    def _integrate(self) -> np.ndarray:
        total = self.total_flow_ml_min()
        if total <= 0:
            return np.zeros(len(SPECIES))
        inlet = {s: 0.0 for s in SPECIES}
        for pump, flow in self.flows_ml_min.items():
            stock = self.stocks[pump]
            if stock.species is not None:
                inlet[stock.species] += stock.concentration_mol_l * flow / total
        tau_min = self.reactor_volume_ml / total
        return outlet_concentrations(
            tau_min, (inlet["dfnb"], inlet["pyrrolidine"]), self.temperature_c()
        )

    def outlet(self) -> np.ndarray:
        """Outlet now: between the previous and the new steady state."""
        total = self.total_flow_ml_min()
        if total <= 0:
            return self._outlet_before
        flushed = (self.clock.now_s() - self._changed_at_s) / 60.0 * total / self.reactor_volume_ml
        fraction = _tanks_in_series_response(flushed, TANKS_IN_SERIES)
        if fraction <= 0.0:
            return self._outlet_before
        return fraction * self.steady_outlet() + (1 - fraction) * self._outlet_before

    def _before_change(self, key: str) -> None:
        self._outlet_before = self.outlet()
        self._changed_at_s = self.clock.now_s()
        self.executed_keys.append(key)

    def set_flow(self, pump: str, flow_ml_min: float, key: str) -> None:
        """Change one pump's flow."""
        self._before_change(key)
        self.flows_ml_min[pump] = flow_ml_min

    def set_setpoint(self, temperature_c: float, key: str) -> None:
        """Change the heater setpoint; the ramp starts from the current temperature."""
        current = self.temperature_c()
        self._before_change(key)
        self._ramp_start = (self.clock.now_s(), current)
        self._setpoint_c = temperature_c
        # the chemistry settles once the ramp ends: count the flush from then
        self._changed_at_s += abs(temperature_c - current) / self.ramp_c_per_min * 60.0

    def sample(self, key: str) -> dict[str, float]:
        """Analyze the outlet, with multiplicative noise seeded by ``key``."""
        self.executed_keys.append(key)
        values = self.outlet()
        if self.noise_relative_sd > 0:
            rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8]))
            values = values * (1.0 + self.noise_relative_sd * rng.standard_normal(len(values)))
        return {f"{s}_mol_l": float(max(v, 0.0)) for s, v in zip(SPECIES, values, strict=True)}


def _tanks_in_series_response(volumes: float, tanks: int) -> float:
    """Fraction of a step change seen at the outlet after ``volumes`` reactor volumes."""
    if volumes <= 0:
        return 0.0
    x = tanks * volumes
    term, total = 1.0, 1.0
    for k in range(1, tanks):
        term *= x / k
        total += term
    return float(1.0 - math.exp(-x) * total)


class SimulatedPump(PumpBackend):
    """Pump backend that sets a flow in the simulated reactor."""

    def __init__(self, world: SimulatedFlowReactor, name: str) -> None:
        self.world = world
        self.name = name

    def identify(self) -> DeviceIdentity:
        """Return a simulated identity naming the stock."""
        stock = self.world.stocks[self.name]
        return DeviceIdentity("simulated pump", details={"stock": str(stock.species or "solvent")})

    def set_flow_rate(self, flow_rate_ml_min: float, key: str) -> None:
        """Set the flow."""
        self.world.set_flow(self.name, flow_rate_ml_min, key)

    def flow_rate_ml_min(self) -> float:
        """Return the flow."""
        return self.world.flows_ml_min[self.name]


class SimulatedHeater(HeaterBackend):
    """Heater backend that ramps the simulated reactor."""

    def __init__(self, world: SimulatedFlowReactor) -> None:
        self.world = world

    def identify(self) -> DeviceIdentity:
        """Return a simulated identity with the ramp rate."""
        return DeviceIdentity(
            "simulated heater", details={"ramp_c_per_min": f"{self.world.ramp_c_per_min:g}"}
        )

    def set_temperature(self, temperature_c: float, key: str) -> None:
        """Change the setpoint."""
        self.world.set_setpoint(temperature_c, key)

    def temperature_c(self) -> float:
        """Return the reactor temperature."""
        return self.world.temperature_c()


class SimulatedAnalyzer(AnalyzerBackend):
    """Analyzer backend that samples the simulated outlet."""

    def __init__(self, world: SimulatedFlowReactor) -> None:
        self.world = world

    def identify(self) -> DeviceIdentity:
        """Return a simulated identity with the noise level."""
        return DeviceIdentity(
            "simulated HPLC", details={"noise_relative_sd": f"{self.world.noise_relative_sd:g}"}
        )

    def measure(self, label: str, key: str) -> Mapping[str, float]:
        """Sample the outlet."""
        return self.world.sample(key)
