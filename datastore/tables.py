"""Every table of the schema, registered on ``SQLModel.metadata`` by importing this module.

The table classes live in four modules (core, provenance, routes, accounts);
the others refer to the core one, never the other way, so
the one place that needs all of them (the engine, the migrations) imports
this module instead of the core module importing the others at its end.
"""

from __future__ import annotations

from datastore import account_models, models, provenance_models, route_models

__all__ = ["account_models", "models", "provenance_models", "route_models"]
