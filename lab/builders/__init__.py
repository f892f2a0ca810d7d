"""Builders.

turn an approved design into device steps, with capacities, candidate sets and limit checks.
"""
