"""``dbtl lab up``: one process serving every active campaign bound to one lab.

The orchestrator leases the lab (so no second orchestrator or ``dbtl run`` can
drive its devices), connects the devices once, and runs each campaign in a
worker thread. Workers share the devices through a :class:`DeviceArbiter`:
campaigns whose protocols use different devices run concurrently; contended
devices go to the highest priority first. New campaigns created with ``dbtl
campaign create`` are picked up while it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Campaign
from drivers.clock import Clock
from lab.builders.binding import BuildConfigError, make_builder
from lab.devices.assembly import DeviceSet, build_devices, connected
from lab.devices.lab_spec import LabSpec
from lab.running.campaigns import LoadedCampaign
from lab.running.leasing import DeviceArbiter, LeaseKeeper, lab_resource
from lab.running.loop import CampaignLoop, StepResult
from lab.running.reporting import Reporter
from lab.running.runner import clock_for, planning_threads
from lab.running.stored_specs import stored_spec

ReporterFactory = Callable[[str], Reporter]


@dataclass
class _Worker:
    loop: CampaignLoop
    thread: threading.Thread
    outcome: str = ""


class Orchestrator:
    """Serves the campaigns of one lab until stopped (or, with ``until_idle``, until done)."""

    def __init__(
        self,
        store: Datastore,
        lab: LabSpec,
        actor: str,
        reporters: ReporterFactory,
        poll_s: float = 2.0,
    ) -> None:
        self.store = store
        self.lab = lab
        self.actor = actor
        self.reporters = reporters
        self.poll_s = poll_s
        self.stop = threading.Event()
        self.workers: dict[int, _Worker] = {}
        self.skipped: dict[str, str] = {}

    def serve(self, until_idle: bool = False, lab_wait_s: float = 0.0) -> dict[str, str]:
        """Run until :attr:`stop` is set (or every campaign is done, with ``until_idle``).

        Returns:
            How each campaign's worker ended, by campaign name.

        Raises:
            LeaseUnavailableError: Another process serves this lab.
        """
        planning_threads()  # campaigns plan on threads of this process: set once, here
        keeper = LeaseKeeper(self.store, holder=self.actor)
        try:
            keeper.acquire(lab_resource(self.lab.name), wait_s=lab_wait_s)
            clock = clock_for(self.lab)
            arbiter = DeviceArbiter(self.lab.name, keeper)
            with connected(build_devices(self.lab, clock)) as devices:
                while not self.stop.is_set():
                    self._start_new(devices, arbiter, clock)
                    if until_idle and not any(w.thread.is_alive() for w in self.workers.values()):
                        break
                    self.stop.wait(self.poll_s)
                self.stop.set()
                for worker in self.workers.values():
                    worker.thread.join()
        finally:
            keeper.close()
        return {w.loop.spec.name: w.outcome for w in self.workers.values()}

    def _start_new(self, devices: DeviceSet, arbiter: DeviceArbiter, clock: Clock) -> None:
        for campaign in self._bound_campaigns():
            if campaign.id in self.workers or campaign.name in self.skipped:
                continue
            loaded = self._loaded(campaign)
            if loaded is None:
                continue
            loop = CampaignLoop(
                self.store,
                loaded,
                campaign,
                devices,
                clock,
                self.actor,
                self.reporters(campaign.name),
                arbiter,
            )
            thread = threading.Thread(
                target=self._work, args=(loop,), name=f"campaign-{campaign.name}", daemon=True
            )
            self.workers[campaign.id or 0] = _Worker(loop, thread)
            thread.start()

    def _bound_campaigns(self) -> list[Campaign]:
        with self.store.session() as session:
            campaigns = repo.list_campaigns(session)
        ordered = sorted(campaigns, key=lambda c: (-c.priority, c.id or 0))
        return [
            c for c in ordered if c.lab_name == self.lab.name and c.status in ("active", "paused")
        ]

    def _loaded(self, campaign: Campaign) -> LoadedCampaign | None:
        try:
            spec = stored_spec(campaign)
            builder = make_builder(spec, self.lab)
        except (BuildConfigError, ValueError) as exc:
            self.skipped[campaign.name] = f"does not fit lab {self.lab.name!r}: {exc}"
            self.reporters(campaign.name).alert(self.skipped[campaign.name])
            return None
        return LoadedCampaign(
            Path(f"<stored:{campaign.name}>"), campaign.spec_yaml, spec, self.lab, builder
        )

    def _work(self, loop: CampaignLoop) -> None:
        worker = self.workers[loop.campaign_id]
        announced = ""
        try:
            loop.recover()
            while not self.stop.is_set():
                result = loop.step(device_timeout_s=self.poll_s)
                if result in (StepResult.FINISHED, StepResult.STOPPED):
                    worker.outcome = f"{result.value}: {loop.waiting_for}"
                    return
                if result == StepResult.WAITING:
                    if loop.waiting_for != announced:
                        loop.reporter.waiting(loop.waiting_for)
                        announced = loop.waiting_for
                    self.stop.wait(self.poll_s)
                else:
                    announced = ""
            worker.outcome = f"stopped by operator after {loop.ran} experiment(s)"
        except Exception as exc:  # one campaign's fault must not take the lab down
            worker.outcome = f"crashed: {type(exc).__name__}: {exc}"
            loop.reporter.alert(f"campaign {loop.spec.name} stopped: {worker.outcome}")
