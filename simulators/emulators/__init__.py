"""Wire-level device emulators: real protocols over TCP sockets and pseudo-terminals.

Each emulator answers its instrument's protocol byte for byte and drives a
simulated backend behind it, so several of them can share one simulated
flow reactor: pumping through the emulated NE-1000s and heating through the
emulated Modbus controller run the SnAr chemistry, and the emulated HPLC
reports what the reactor's outlet holds.
"""
