"""Validate the driver keys of one lab-file device entry with its driver's settings model.

A device entry is flat in the lab file (``name``, ``kind``, ``driver``, the
kind's common limits, then the driver's own keys). :func:`validate_settings`
hands the driver's keys to the model the driver registered and turns every
complaint into one error at the key's path that names the device, its driver
and the fix: an unknown key lists what this driver takes, a key of another
driver says which driver takes it, a missing key says what it means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from drivers.settings import DriverSettings
from lab.devices.catalog import DriverEntry, drivers_taking
from lab.specs.yamlio import allowed_keys

KIND_KEYS: dict[str, tuple[str, ...]] = {
    "max_flow_rate_ml_min": ("pump",),
    "reservoir": ("pump",),
    "min_temperature_c": ("heater", "incubator"),
    "max_temperature_c": ("heater", "incubator"),
    "ramp_c_per_min": ("heater",),
    "positions": ("valve",),
    "deck": ("liquid_handler",),
    "run_timeout_s": ("liquid_handler",),
}
"""The common keys of a device entry that belong to some kinds only, whatever the driver."""

LEGACY_DEFAULTS: dict[str, object] = {
    "timeout_s": 2.0,
    "retries": 2,
    "report_pattern": "*.csv",
    "result_timeout_s": 1800.0,
}
"""Values every device of a lab stored by earlier versions carries (one schema for all drivers)."""
LEGACY_KEYS = frozenset(
    {"port", "address", "baudrate", "syringe_diameter_mm", "modbus", "results_dir", "url"}
    | {"response_factors_mol_l_per_area", "injector", "yield_table", "experiment_table"}
    | set(LEGACY_DEFAULTS)
)
"""Keys of that one schema; stored with ``None`` or their default, they are dropped on load."""

Errors = list[InitErrorDetails]


def describe(kind: object, name: object, driver: object) -> str:
    """How messages name a device: ``pump 'pump_a' (driver new_era)``."""
    return f"{kind} {name!r} (driver {driver})"


def error(loc: Sequence[str | int], message: str, value: object = None) -> InitErrorDetails:
    """One error at ``loc`` (inside the device entry) whose text is ``message``."""
    return InitErrorDetails(
        type=PydanticCustomError("device_entry", "{message}", {"message": message}),
        loc=tuple(loc),
        input=value,
    )


def validate_settings(
    entry: DriverEntry, keys: Mapping[str, Any], name: object, allowed: Sequence[str]
) -> tuple[DriverSettings | None, Errors]:
    """The driver's settings from its keys of the entry, or ``None`` and the errors.

    Args:
        entry: The driver of the device.
        keys: The entry's keys that are not common to every device.
        name: The device's name (for messages and the validators' context).
        allowed: The common keys this kind of device takes (for the list of allowed keys).
    """
    fields = entry.settings.model_fields
    given = {
        k: v
        for k, v in keys.items()
        if k in fields or not (k in LEGACY_KEYS and (v is None or LEGACY_DEFAULTS.get(k) == v))
    }
    try:
        return entry.settings.model_validate(given, context={"device": name}), []
    except ValidationError as exc:
        who = describe(entry.kind, name, entry.driver)
        accepted = sorted({*allowed, *fields})
        return None, [_translate(e, entry, who, name, accepted) for e in exc.errors()]


def _translate(
    e: Any, entry: DriverEntry, who: str, name: object, accepted: list[str]
) -> InitErrorDetails:
    loc = [part for part in e["loc"] if not str(part).startswith("function-")]
    key = str(loc[0]) if loc else ""
    if e["type"] == "extra_forbidden" and len(loc) == 1:
        return error(loc, _misplaced(key, entry, who, accepted), e["input"])
    if e["type"] == "extra_forbidden":
        inner = allowed_keys(entry.settings, loc[:-1])
        hint = f"; allowed: {', '.join(inner)}" if inner else ""
        return error(loc, f"unknown key {loc[-1]!r}{hint}", e["input"])
    if e["type"] == "missing" and len(loc) == 1:
        meaning = entry.settings.model_fields[key].description or "required"
        return error(loc, f"{who} needs {key!r}: {meaning}")
    message = str(e["msg"]).removeprefix("Value error, ")
    if e["type"] == "missing":
        message = f"required key {'.'.join(map(str, loc))} is missing"
    text = message if f"{name!r}" in message else f"{who}: {message}"
    return error(loc, text, e.get("input"))


def _misplaced(key: str, entry: DriverEntry, who: str, accepted: list[str]) -> str:
    """An unknown key: which other driver takes it, else what this one takes."""
    others = [e for e in drivers_taking(key) if e.driver != entry.driver]
    if not others:
        return (
            f"unknown key {key!r}; allowed: {', '.join(accepted)} "
            f"(the keys of a {entry.kind} with driver {entry.driver})"
        )
    drivers = list(dict.fromkeys(e.driver for e in others))
    kinds = ", ".join(dict.fromkeys(e.kind for e in others))
    return (
        f"{who}: {key!r} applies only to driver {' or '.join(map(repr, drivers))} ({kinds}); "
        f"remove it, or change the driver; {entry.driver} takes: {', '.join(accepted)}"
    )


def kind_key_errors(common: Mapping[str, Any], kind: object, who: str) -> Errors:
    """Errors for common keys given (not ``None``) on a kind of device they do not apply to."""
    return [
        error((key,), f"{who}: {key!r} applies only to {' and '.join(kinds)} devices", value)
        for key, value in common.items()
        if value is not None and (kinds := KIND_KEYS.get(key)) and kind not in kinds
    ]


def kind_keys(model: type[BaseModel], kind: object) -> list[str]:
    """The keys of the common model (``name``, ``kind``, ...) a ``kind`` device takes."""
    return [
        key
        for key in model.model_fields
        if key != "settings" and kind in KIND_KEYS.get(key, (kind,))
    ]


def merged(exc: ValidationError, extra: Errors) -> ValidationError:
    """``exc`` with the errors ``extra`` added (one report for the whole entry)."""
    if not extra:
        return exc
    details: Errors = []
    for e in exc.errors():
        detail = InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"])
        if "ctx" in e:
            detail["ctx"] = e["ctx"]
        details.append(detail)
    return ValidationError.from_exception_data(exc.title, [*details, *extra])
