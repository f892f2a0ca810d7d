"""The campaigns the fault benchmark breaks: the emulated SnAr bench and the Suzuki HTE plates.

Each is written into a private folder (campaign file, lab file, report
folder), so a benchmark run never touches ``examples/``. The emulated bench's
instruments run in this process on free loopback ports (``bench.emulated``
cuts and restores their power); the HTE lab is a dry run in virtual time.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus
from lab.devices.emulation import EmulatedLab, start_emulators
from lab.devices.labfile import load_lab
from lab.running.learn import INFRASTRUCTURE_MARK

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REPLY_TIMEOUT_S = 0.5
"""Deadline of each reply on the emulated wire (loopback answers in microseconds)."""
OPEN = ("proposed", "awaiting_approval", "approved", "queued", "running")


@dataclass
class Bench:
    """The emulated SnAr bench of one benchmark run, with its files."""

    campaign_path: Path
    emulated: EmulatedLab


def emulated_bench(folder: Path, budget: int, outage_timeout_s: float = 60.0) -> Bench:
    """Write the emulated SnAr campaign into ``folder`` and start its instruments (600x time)."""
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / "labs" / "flow_emulated.yaml").read_text())
    data["simulation"]["time_scale"] = 600.0
    data["outage_timeout_s"] = outage_timeout_s
    for device in data["devices"]:
        if device["driver"] == "hplc_folder":
            device["results_dir"] = str(folder / "hplc")
        elif "port" in device:
            device["timeout_s"] = REPLY_TIMEOUT_S
    lab_path = folder / "lab.yaml"
    lab_path.write_text(yaml.safe_dump(data, sort_keys=False))
    emulated = start_emulators(load_lab(lab_path), ports={d["name"]: 0 for d in data["devices"]})
    bound = {d.name: d.settings.where() for d in emulated.bound_lab().devices}
    for device in data["devices"]:
        if "port" in device:
            device["port"] = bound[device["name"]]
    lab_path.write_text(yaml.safe_dump(data, sort_keys=False))
    text = (EXAMPLES / "snar_flow_emulated.yaml").read_text()
    text = text.replace("lab: labs/flow_emulated.yaml", "lab: lab.yaml")
    text = text.replace("budget: 8", f"budget: {budget}").replace("batch_size: 2", "batch_size: 1")
    campaign_path = folder / "campaign.yaml"
    campaign_path.write_text(text.replace("name: bo, seed", "name: sobol, seed"))
    return Bench(campaign_path, emulated)


def hte_campaign(folder: Path, budget: int, plate: int) -> Path:
    """Write the Suzuki HTE campaign (plates of ``plate`` wells, Sobol) into ``folder``."""
    (folder / "labs").mkdir(parents=True, exist_ok=True)
    lab = (EXAMPLES / "labs" / "ot2_suzuki.yaml").read_text()
    (folder / "labs" / "ot2_suzuki.yaml").write_text(lab)
    text = (EXAMPLES / "suzuki_hte.yaml").read_text()
    text = text.replace("budget: 48", f"budget: {budget}")
    path = folder / "suzuki.yaml"
    path.write_text(text.replace("batch_size: 24", f"batch_size: {plate}"))
    return path


@dataclass
class Tally:
    """What became of one campaign's experiments."""

    finished: bool = False
    """The campaign reached its budget (as the budget counts: see lab.running.learn.budget_used)."""
    statuses: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicated: int = 0
    charged: int = 0
    """Experiments the budget counts that a fault failed or left unknown (goal: 0)."""


def tally(store: Datastore, name: str) -> Tally:
    """Count finished (budget reached), lost (left open, or numbers missing), run-twice ones."""
    with store.session() as session:
        campaign = repo.find_campaign(session, name)
        if campaign is None:
            return Tally()
        experiments = repo.list_experiments(session, campaign.id or 0)
        events = repo.list_events(session, campaign.id or 0)
        marked = repo.count_marked(
            session, campaign.id or 0, ExperimentStatus.NEEDS_ATTENTION, INFRASTRUCTURE_MARK
        )
    statuses = Counter(e.status for e in experiments)
    numbers = sorted(e.number for e in experiments)
    gaps = len(set(range(1, (numbers[-1] if numbers else 0) + 1)) - set(numbers))
    runs: Counter[int] = Counter()
    for event in events:
        if event.kind == "transition" and event.experiment_id is not None:
            if event.to_status == "running":
                runs[event.experiment_id] += 1
            elif (event.from_status, event.to_status) == ("running", "queued"):
                runs[event.experiment_id] -= 1
    return Tally(
        finished=campaign.status == "completed",
        statuses=statuses,
        lost=sum(statuses[s] for s in OPEN) + gaps,
        duplicated=sum(1 for count in runs.values() if count > 1),
        charged=statuses["failed"] + statuses["needs_attention"] - marked,
    )


def spread(count: int, low: int, high: int) -> list[int]:
    """``count`` increasing thresholds from ``low`` to ``high`` (repeats dropped)."""
    step = max((high - low) / max(count - 1, 1), 1.0)
    return sorted({int(low + i * step) for i in range(count)})


def cycle_of(kinds: list[str]) -> itertools.cycle[str]:
    """Fault kinds in rotation."""
    return itertools.cycle(kinds)
