"""The check's last step: what a deploy will hold it to, and what a reviewer must look at.

- ``pins``: a digest per changed migration and the verdict (pinning.py). The sticky comment (hidden
  marker), the JSON report and the SARIF run carry them; the deploy refuses files they do not cover.
- ``checklists``: a reviewer checklist for each changed file an AI assistant co-authored, that was
  written through `migration-guard mcp`, or that has no `-- intent:` line (review_checklist.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from migration_guard.checkrun import CheckReport


def review_step(report: CheckReport, workspace: Path, base: str | None, head: str | None) -> CheckReport:
    if not report.changed or report.refused:
        return report
    from migration_guard.pinning import Pins
    from migration_guard.review_checklist import assistant_coauthors, checklist, commit_messages, why_review

    wanted = {Path(p).resolve() for p in report.changed}
    changed = [m for m in report.migrations if m.path.resolve() in wanted]
    pins = Pins.of(changed, report.verdict, head)
    runs = {Path(r.path).resolve(): r for r in report.plan.migrations} if report.plan is not None else {}
    affected = report.plan.affected if report.plan is not None else ()
    lists = []
    for m in changed:
        messages = commit_messages(workspace, base, head, m.path) if workspace.is_dir() else ""
        who = why_review(m, assistant_coauthors(messages))
        if who is not None:
            lists.append(checklist(who, m, runs.get(m.path.resolve()), affected))
    return replace(report, pins=pins.to_json(), checklists=tuple(lists))
