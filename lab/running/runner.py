"""Run a loaded campaign against a datastore: the one place that wires the loop together."""

from __future__ import annotations

import dataclasses
from typing import Any

from datastore import Datastore
from datastore import repository as repo
from drivers.clock import Clock, ScaledClock, SystemClock
from lab.builders.capabilities import ChecksRunnable
from lab.devices.assembly import build_devices, connected, driver_of
from lab.devices.lab_spec import LabSpec
from lab.running.campaigns import LoadedCampaign, check_resumable, default_actor, open_campaign
from lab.running.leasing import DeviceArbiter, LeaseKeeper, lab_resource
from lab.running.loop import CampaignLoop, LoopResult
from lab.running.outages import OutageWatch
from lab.running.reporting import Reporter, SilentReporter
from lab.specs.yamlio import SpecError
from planner.threads import ensure_process_threads
from simulators.clock import SimulatedClock


def clock_for(lab: LabSpec) -> Clock:
    """The lab's time.

    Virtual time when no device's driver waits on real time (simulated
    devices, a replayed table: see :class:`lab.devices.catalog.DriverEntry`);
    scaled wall-clock time for an emulated lab whose ``simulation.time_scale``
    is not 1 (the emulators run their world at the same pace); the system
    clock otherwise.
    """
    if all(driver_of(d).virtual_time for d in lab.devices):
        return SimulatedClock()
    if lab.simulation is not None and lab.simulation.time_scale != 1.0:
        return ScaledClock(lab.simulation.time_scale)
    return SystemClock()


def with_spec(loaded: LoadedCampaign, **updates: Any) -> LoadedCampaign:
    """Return ``loaded`` with some campaign fields replaced (name, budget, strategy...)."""
    spec = loaded.spec.model_copy(update=updates)
    return dataclasses.replace(loaded, spec=type(spec).model_validate(spec.model_dump()))


def refuse_unrunnable(loaded: LoadedCampaign) -> None:
    """Raise if the campaign's builder says it cannot run on this lab.

    Raises:
        SpecError: Naming why (e.g. the lab's reader cannot measure the objective).
    """
    builder = loaded.builder
    problem = builder.run_problem() if isinstance(builder, ChecksRunnable) else None
    if problem:
        raise SpecError(f"{loaded.path}: protocol.readout: {problem}")


def planning_threads() -> int:
    """Fix torch's thread count for this process before any campaign plans (once).

    Raises:
        SpecError: ``DBTL_TORCH_THREADS`` is set to something other than a count.
    """
    try:
        return ensure_process_threads()
    except ValueError as exc:
        raise SpecError(str(exc)) from None


def run_campaign(
    store: Datastore,
    loaded: LoadedCampaign,
    reporter: Reporter | None = None,
    actor: str | None = None,
    *,
    wait: bool = True,
    poll_s: float = 2.0,
    lab_wait_s: float = 0.0,
) -> LoopResult:
    """Create or resume ``loaded`` in ``store`` and run it to its budget.

    Nothing is stored before the lab is leased and its devices are connected:
    a run that fails to start leaves no campaign behind. The lab is leased for
    the whole run, so a second process (another ``dbtl run`` or an
    orchestrator from ``dbtl lab up``) cannot drive its devices.

    Args:
        store: The datastore.
        loaded: The campaign and its lab.
        reporter: Progress sink (silent by default).
        actor: Name recorded on events (``user@host:pid`` by default).
        wait: Wait for approvals; if False, return when only waiting is left.
        poll_s: Seconds between datastore polls while waiting.
        lab_wait_s: How long to wait for another holder to free the lab.

    Raises:
        LeaseUnavailableError: The lab is leased by another process.
        DeviceOutageError: A device stayed silent past the lab's ``outage_timeout_s``
            (the campaign stays paused; see :mod:`lab.running.outages`).
    """
    actor = actor or default_actor()
    refuse_unrunnable(loaded)
    planning_threads()
    check_resumable(store, loaded)  # nothing is stored until the devices are connected
    keeper = LeaseKeeper(store, holder=actor)
    try:
        keeper.acquire(lab_resource(loaded.lab.name), wait_s=lab_wait_s)
        clock = clock_for(loaded.lab)
        arbiter = DeviceArbiter(loaded.lab.name, keeper)
        devices = build_devices(loaded.lab, clock)
        reporter = reporter or SilentReporter()
        watch = OutageWatch(
            store, stored_id(store, loaded), devices, loaded.lab.outage_timeout_s, actor,
            reporter.alert,
        )  # fmt: skip
        with connected(devices, watch.connect_failed):
            campaign, _ = open_campaign(store, loaded, actor)
            loop = CampaignLoop(
                store, loaded, campaign, devices, clock, actor, reporter, arbiter
            )  # fmt: skip
            return loop.run(wait=wait, poll_s=poll_s)
    finally:
        keeper.close()


def stored_id(store: Datastore, loaded: LoadedCampaign) -> int:
    """The id of the campaign if it is stored already, else 0."""
    with store.session() as session:
        existing = repo.find_campaign(session, loaded.spec.name)
        return existing.id or 0 if existing is not None else 0
