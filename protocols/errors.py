"""Errors raised while building or checking protocols."""


class ProtocolError(Exception):
    """A design cannot be turned into a protocol, or a protocol breaks a limit."""


class ProtocolValidationError(ProtocolError):
    """A protocol failed static validation; ``violations`` lists every problem found."""

    def __init__(self, protocol_name: str, violations: list[str]) -> None:
        self.violations = violations
        super().__init__(f"protocol {protocol_name!r} is not safe to run: " + "; ".join(violations))
