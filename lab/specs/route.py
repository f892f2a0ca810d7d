"""The ``route`` protocol section: approved routes, the station that runs them, the bench.

A route campaign's search space is the joint condition space of the
approved routes' steps plus, with more than one route, a categorical
``route`` choosing among them (see :func:`lab.builders.route.route_parameters`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocols.route_batch import HeaterShakerSetup
from routes.model import Route


class ApprovedRoute(BaseModel):
    """One approved route version, under the label the ``route`` parameter uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$")
    version_id: int | None = Field(default=None, description="its row in route_version")
    route: Route


class RouteProtocolSpec(BaseModel):
    """Each design is one run of an approved route as a one-pot batch recipe.

    Every design is compiled for ``liquid_handler`` and its heater-shaker and
    pre-flighted (inventory, volumes, temperatures) before it runs; ``station``
    runs the recipe and reports the yield of every step and of the route.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    builder: Literal["route"] = "route"
    station: str
    liquid_handler: str
    heater_shaker: HeaterShakerSetup = HeaterShakerSetup()
    routes: tuple[ApprovedRoute, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct_labels(self) -> RouteProtocolSpec:
        labels = [r.label for r in self.routes]
        if len(set(labels)) != len(labels):
            raise ValueError(f"route labels must be distinct: {', '.join(labels)}")
        return self
