"""Read a lab file: check every device has a registered driver, validate it, resolve paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lab.devices.assembly import known_drivers
from lab.devices.lab_spec import LabSpec
from lab.specs.yamlio import SpecError, load_model_and_tree, locate, read_yaml


def load_lab(path: Path) -> LabSpec:
    """Load ``path`` as a lab, with relative folders resolved against the file's folder.

    Drivers are checked first: a misspelt driver explains every other complaint
    about that device's fields.

    Raises:
        SpecError: The file is malformed, or a device names a driver that does
            not exist for its kind (file:line, device and field named).
    """
    data, tree = read_yaml(path)
    problems = unknown_drivers(path, tree, data)
    if problems:
        raise SpecError("\n".join(problems))
    lab, _ = load_model_and_tree(path, LabSpec)
    try:
        return lab.relative_to(path.resolve().parent)
    except ValueError as exc:  # a package: table of a package that is not installed
        raise SpecError(f"{path}: {exc}") from None


def unknown_drivers(path: Path, tree: yaml.Node | None, data: Any) -> list[str]:
    """One message per device whose ``(kind, driver)`` has no registered factory."""
    devices = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        return []
    registered = known_drivers()
    kinds = {kind for kind, _ in registered}
    problems = []
    for index, device in enumerate(devices):
        if not isinstance(device, dict):
            continue
        kind, driver = device.get("kind"), device.get("driver")
        if not isinstance(kind, str) or kind not in kinds or not isinstance(driver, str):
            continue  # the model reports a bad kind or a missing driver
        if (kind, driver) in registered:
            continue
        options = sorted(d for k, d in registered if k == kind)
        problems.append(
            f"{locate(path, tree, f'devices[{index}].driver')}: {kind} "
            f"{device.get('name')!r}: no driver {driver!r} for a {kind}; "
            f"available: {', '.join(options)}"
        )
    return problems
