"""The catalog of drivers: what each ``(kind, driver)`` pair takes from a lab file and builds.

An entry pairs a driver's settings model (declared next to the driver, see
:mod:`drivers.settings`) with the factory that builds the device from the
validated settings, and with what the rest of the lab needs to know about
the driver (the lab-file sections its simulated world needs, whether it runs
on virtual time). Driver modules add entries with :func:`register_driver`
next to their factories; the lab-file schema (:mod:`lab.devices.lab_spec`) looks them
up to validate each device's keys, after importing the drivers dbtl ships
(:mod:`lab.devices.builtin`). Factories name the schema's and the builder's
types in annotations only, so this module and the driver modules import
neither at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from drivers.base import Device
from drivers.settings import DriverSettings

if TYPE_CHECKING:
    from lab.devices.lab_spec import DeviceSpec
    from lab.devices.registry import BuildContext

S = TypeVar("S", bound=DriverSettings)

DEFAULT_RUN_TIMEOUT_S = 4 * 3600.0
"""How long a liquid-handler run may take unless its device says otherwise."""


@dataclass(frozen=True)
class DriverEntry:
    """One driver of one kind of device.

    Attributes:
        kind: The device kind (``pump``, ``heater``...).
        driver: The driver's name as lab files write it.
        settings: The model validating the device entry's driver keys.
        factory: Builds the frontend: ``factory(spec, settings, context)``.
        sections: Lab-file sections the driver needs (``simulation``,
            ``biofoundry``): the simulated world it runs in.
        virtual_time: The device never waits on real time (a simulated
            device, a replayed table): a lab of only such devices runs on a
            simulated clock.
        reads_simulated_plates: A plate reader that reads what the lab's
            robots pipette on the simulated plates (so a real robot's runs
            are mirrored there too).
        reports_composition_only: A plate reader that reports each well's
            composition (``<species>_mol_l``, ``volume_ul``) and nothing else.
    """

    kind: str
    driver: str
    settings: type[DriverSettings]
    factory: Callable[..., Device]
    sections: tuple[str, ...] = ()
    virtual_time: bool = False
    reads_simulated_plates: bool = False
    reports_composition_only: bool = False

    def keys(self) -> list[str]:
        """The settings keys this driver takes, sorted."""
        return sorted(self.settings.model_fields)


_ENTRIES: dict[tuple[str, str], DriverEntry] = {}


def add_driver(entry: DriverEntry) -> DriverEntry:
    """Add ``entry`` to the catalog (registering the same factory again is a no-op).

    Raises:
        ValueError: Another factory already builds that ``(kind, driver)``.
    """
    existing = _ENTRIES.get((entry.kind, entry.driver))
    if existing is not None and existing.factory is not entry.factory:
        raise ValueError(
            f"driver {entry.driver!r} of {entry.kind!r} devices is registered twice "
            f"({existing.factory.__module__} and {entry.factory.__module__})"
        )
    _ENTRIES[(entry.kind, entry.driver)] = entry
    return entry


def find_driver(kind: str, driver: str) -> DriverEntry | None:
    """The entry of ``driver`` for ``kind`` devices, or ``None``."""
    return _ENTRIES.get((kind, driver))


def driver_entries() -> list[DriverEntry]:
    """Every entry, by kind and driver."""
    return [_ENTRIES[pair] for pair in sorted(_ENTRIES)]


def drivers_of(kind: str) -> list[str]:
    """The drivers registered for ``kind`` devices, sorted."""
    return sorted(driver for k, driver in _ENTRIES if k == kind)


def drivers_taking(key: str) -> list[DriverEntry]:
    """The entries whose settings take ``key`` (to say where a misplaced key belongs)."""
    return [e for e in driver_entries() if key in e.settings.model_fields]


def register_driver(
    kind: str,
    driver: str,
    settings: type[S],
    *,
    sections: tuple[str, ...] = (),
    virtual_time: bool = False,
    reads_simulated_plates: bool = False,
    reports_composition_only: bool = False,
) -> Callable[
    [Callable[[DeviceSpec, S, BuildContext], Device]],
    Callable[[DeviceSpec, S, BuildContext], Device],
]:
    """Decorator: register the factory building ``kind`` devices with ``driver``.

    The factory receives the device's lab-file entry, its validated settings
    (an instance of ``settings``) and the :class:`~lab.devices.registry.BuildContext`.

    Args:
        kind: The device kind.
        driver: The driver's name in lab files.
        settings: The model validating the device entry's driver keys.
        sections: Lab-file sections the driver needs (see :class:`DriverEntry`).
        virtual_time: The device never waits on real time.
        reads_simulated_plates: A plate reader reading the simulated plates.
        reports_composition_only: A plate reader reporting compositions only.

    Raises:
        ValueError: Another factory already builds that ``(kind, driver)``.
    """

    def decorate(
        factory: Callable[[DeviceSpec, S, BuildContext], Device],
    ) -> Callable[[DeviceSpec, S, BuildContext], Device]:
        entry = DriverEntry(
            kind,
            driver,
            settings,
            factory,
            sections,
            virtual_time,
            reads_simulated_plates,
            reports_composition_only,
        )
        add_driver(entry)
        return factory

    return decorate
