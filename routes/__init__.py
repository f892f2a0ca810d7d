"""Synthesis routes: a target, the reaction steps that make it from stock, and who proposed them.

A route is data (:class:`~routes.model.Route`): a tree of reaction steps from
purchasable building blocks to a target, each step with its reaction SMILES,
the template or source that proposed it, reactants, reagents, product and a
condition space. Proposers are plug-ins behind one registry
(:mod:`routes.registry`): the built-in RDKit template library
(:mod:`routes.templates`, searched by :mod:`routes.search`) and readers of
AiZynthFinder and syntheseus route trees (:mod:`routes.interchange`). Nothing
here touches a device or the database.
"""

from routes.errors import RouteError, RouteInputError
from routes.model import ConditionRange, Route, RouteStep, StepConditionSpace
from routes.stock import Stock, StockItem

__all__ = [
    "ConditionRange",
    "Route",
    "RouteError",
    "RouteInputError",
    "RouteStep",
    "StepConditionSpace",
    "Stock",
    "StockItem",
]
