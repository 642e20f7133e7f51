"""The plain data a deploy step returns to the orchestrator."""

from __future__ import annotations

from dataclasses import dataclass

PASSED = "passed"
REFUSED = "refused"
OVERRIDDEN = "overridden"


@dataclass(frozen=True)
class GateRecord:
    """One gate's decision. ``reason`` says why it passed, or which rule failed and how to satisfy it."""

    gate: str  # override | database | environment | drift | dry-run | findings | review
    result: str  # passed | refused | overridden
    reason: str
    findings: tuple[str, ...] = ()  # rule@path:line of the blocking findings it concerns
    pull_request: int | None = None

    @property
    def refused(self) -> bool:
        return self.result == REFUSED

    def as_row(self) -> dict[str, str]:
        return {"gate": self.gate, "result": self.result, "reason": self.reason}
