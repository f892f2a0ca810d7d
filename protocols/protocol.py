"""A protocol: an ordered tuple of steps that can be printed, hashed and checked."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from protocols.steps import Step, step_device


class Protocol(BaseModel):
    """What to do, step by step, to run one design (or one plate of designs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    steps: tuple[Step, ...]
    metadata: dict[str, Any] = {}

    def digest(self) -> str:
        """Return a SHA-256 of the protocol's canonical JSON: equal protocols, equal digests."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def describe(self) -> list[str]:
        """Return one numbered line per step."""
        return [f"{i:>2}. {step.summary()}" for i, step in enumerate(self.steps, start=1)]

    def devices(self) -> set[str]:
        """Return the names of every device the protocol addresses."""
        return {d for d in map(step_device, self.steps) if d is not None}
