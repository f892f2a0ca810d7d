"""Lab files and device assembly.

the lab schema, the driver catalog, simulated and real drivers, emulation.
"""
