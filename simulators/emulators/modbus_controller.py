"""A PID temperature controller on Modbus TCP (or RTU framing over TCP): a pymodbus server.

The controller's register map is the same :class:`~drivers.modbus_heater.RegisterMap`
the driver uses. Reading the process value asks a
:class:`~drivers.heater.HeaterBackend` (e.g. the simulated reactor's heater)
for its temperature; writing the setpoint sets it there. The process value
register is read-only (writing it answers exception 2, illegal address), and
setpoints outside the controller's range answer exception 3 (illegal data
value), as a real controller's setpoint limits do.

The server runs its asyncio loop in a thread of its own; :meth:`start` returns
once it listens, :meth:`stop` once it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from pymodbus.constants import ExcCodes
from pymodbus.framer import FramerType
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from drivers.heater import HeaterBackend
from drivers.modbus_heater import Framing, RegisterMap, Table, from_register, to_register
from simulators.emulators.servers import Faults

_READS = {3: Table.HOLDING, 4: Table.INPUT}
_WRITES = (6, 16)


class ModbusControllerEmulator:
    """A temperature controller serving Modbus on ``host:port`` (port 0 picks a free one)."""

    def __init__(
        self,
        heater: HeaterBackend,
        unit: int = 1,
        registers: RegisterMap | None = None,
        framing: Framing = Framing.TCP,
        host: str = "127.0.0.1",
        port: int = 0,
        setpoint_range_c: tuple[float, float] = (-50.0, 400.0),
        lock: threading.RLock | None = None,
        name: str = "heater",
    ) -> None:
        self.heater = heater
        self.unit = unit
        self.registers = registers or RegisterMap()
        self.framing = framing
        self.host = host
        self.port = port
        self.setpoint_range_c = setpoint_range_c
        self.lock = lock or threading.RLock()
        self.name = name
        self.faults = Faults()
        self.writes = 0
        self._loop = asyncio.new_event_loop()
        self._server: ModbusTcpServer | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"{name}-modbus", daemon=True)

    @property
    def url(self) -> str:
        """The URL a driver opens to reach the controller."""
        return f"socket://{self.host}:{self.port}"

    def start(self) -> ModbusControllerEmulator:
        """Start serving; return self once listening.

        Raises:
            OSError: The port cannot be bound.
        """
        self._thread.start()
        self._ready.wait(timeout=10.0)
        if self._error is not None:
            raise OSError(f"cannot serve Modbus on {self.host}:{self.port}: {self._error}")
        return self

    def stop(self) -> None:
        """Shut the server down and close its connections."""
        server = self._server
        if server is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(server.shutdown()))
        self._thread.join(timeout=5.0)

    # ---------------------------------------------------------------- server
    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
        finally:
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    async def _serve(self) -> None:
        framer = FramerType.SOCKET if self.framing is Framing.TCP else FramerType.RTU
        server = ModbusTcpServer(
            self._device(),
            framer=framer,
            address=(self.host, self.port),
            trace_packet=self._trace,
        )
        await server.serve_forever(background=True)
        sockets = getattr(server.transport, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self._server = server
        self._ready.set()
        await server.serving

    def _device(self) -> SimDevice:
        blocks: dict[Table, list[SimData]] = {Table.HOLDING: [], Table.INPUT: []}
        pv, sp = self.registers.process_value, self.registers.setpoint
        initial = to_register(25.0, self.registers.scale, self.registers.signed)
        blocks[pv.table].append(
            SimData(pv.address, values=initial, datatype=DataType.REGISTERS, readonly=True)
        )
        blocks[sp.table].append(SimData(sp.address, values=initial, datatype=DataType.REGISTERS))
        for block in blocks.values():
            if not block:  # pymodbus wants every table to have something
                block.append(SimData(0, datatype=DataType.INVALID))
        bits = [SimData(0, values=False, datatype=DataType.BITS)]
        simdata = (bits, list(bits), blocks[Table.HOLDING], blocks[Table.INPUT])
        return SimDevice(id=self.unit, simdata=simdata, action=self._action)

    def _trace(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            return data
        return self.faults.apply(data) or b""

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        values: Any,
    ) -> ExcCodes | None:
        """Called by pymodbus on every access: fill in the live values, apply writes."""
        span = range(address, address + count)
        with self.lock:
            if function_code in _WRITES and values:
                return self._write(span, address, values)
            if _READS.get(function_code) is self.registers.process_value.table:
                pv = self.registers.process_value.address
                if pv in span:
                    registers[pv - start_address] = self._raw(self.heater.temperature_c())
        return None

    def _write(self, span: range, address: int, values: list[int]) -> ExcCodes | None:
        sp = self.registers.setpoint.address
        if sp not in span:
            return None
        reg = self.registers
        temperature_c = from_register(values[sp - address], reg.scale, reg.signed)
        low, high = self.setpoint_range_c
        if not low <= temperature_c <= high:
            return ExcCodes.ILLEGAL_VALUE
        self.writes += 1
        self.heater.set_temperature(temperature_c, key=f"{self.name}:wire:{self.writes}")
        return None

    def _raw(self, temperature_c: float) -> int:
        return to_register(temperature_c, self.registers.scale, self.registers.signed)
