"""The emergency override's own gate: only on a manual run, and only with a visible reason."""

from __future__ import annotations

from migration_guard.flows.records import PASSED, REFUSED, GateRecord
from migration_guard.visible import visible_length

MIN_REASON = 15
OVERRIDE_EVENT = "workflow_dispatch"

def override_gate(override: bool, reason: str | None, event_name: str) -> GateRecord | None:
    """None when no override was asked for; else the override's own gate."""
    if not override:
        return None
    if event_name != OVERRIDE_EVENT:
        return GateRecord(
            "override",
            REFUSED,
            f"the emergency override is honoured only on a `{OVERRIDE_EVENT}` run, not on "
            f"`{event_name or 'an unknown event'}`; start the deploy from Actions → Run workflow "
            "(see workflows-examples/emergency-override.yml)",
        )
    visible = visible_length(reason or "")
    if visible < MIN_REASON:
        return GateRecord(
            "override",
            REFUSED,
            f"an emergency override needs `override-reason` of at least {MIN_REASON} visible characters "
            f"saying why (it is audited and posted); this one has {visible} (spaces, zero-width and "
            "other invisible characters do not count)",
        )
    return GateRecord("override", PASSED, f"requested on `{OVERRIDE_EVENT}` with a reason")
