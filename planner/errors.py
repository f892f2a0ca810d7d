"""Errors raised by the planner."""


class PlannerError(Exception):
    """The planner cannot do what was asked; the message says why and what to change."""


class UnknownStrategyError(PlannerError):
    """No strategy is registered under the requested name."""


class InfeasibleSpaceError(PlannerError):
    """No design satisfies the space's constraints (or every one is used up)."""
