"""Simulators: models that stand in for the world, behind the interfaces real devices use."""
