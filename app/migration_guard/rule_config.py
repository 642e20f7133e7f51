"""Project rule configuration, as squawk and ruff do it: disable rules, change severities, exclude paths.

Sources (settings.py): ``disable``, ``severity`` and ``exclude`` in ``migration-guard.toml`` /
``[tool.migration-guard]``, ``MIGRATION_GUARD_*`` variables, and the action inputs ``disable-rules``,
``rule-severity`` and ``exclude-paths``. An unknown rule id is an error naming where it came from: a
typo must not silently leave a rule on (or off).

Applied to the findings after linting (and to the dry run's findings and advisories: the dry-run
rules of ``rules/database.py`` are configured by the same ids): the rules still run, so the context
they build for later files is the same whatever is disabled.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from migration_guard.errors import UserError
from migration_guard.model import Finding, Severity

if TYPE_CHECKING:  # the dry run's data: lint, which reads this module, never loads it
    from migration_guard.plan_model import Advisory

# A file that does not parse cannot be judged at all; turning that off would hide a broken file.
NOT_CONFIGURABLE = frozenset({"syntax-error"})


def _known_ids() -> set[str]:
    from migration_guard.rules.registry import all_rules

    return {r.id for r in all_rules()}


def _check_id(rule_id: str, origin: str, known: set[str]) -> str:
    rid = rule_id.strip().lower()
    if rid in NOT_CONFIGURABLE:
        raise UserError(f"{origin}: rule {rid!r} cannot be disabled or changed (a file that does not parse)")
    if rid not in known:
        from migration_guard.rules.registry import similar_ids

        close = similar_ids(rid, n=2, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; `migration-guard rules` lists them"
        raise UserError(f"{origin}: unknown rule {rule_id!r}{hint}")
    return rid


def parse_severity_pairs(text: str, origin: str) -> dict[str, str]:
    """``"id=warning, id2=error"`` (an action input) → ``{"id": "warning", "id2": "error"}``."""
    out: dict[str, str] = {}
    for item in text.replace(",", " ").split():
        rid, sep, level = item.partition("=")
        if not sep or not rid or not level:
            raise UserError(f"{origin}: expected RULE=error|warning, got {item!r}")
        out[rid] = level
    return out


@dataclass(frozen=True)
class RuleConfig:
    disable: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        disable: Iterable[str] = (),
        severity: Mapping[str, str] | None = None,
        exclude: Iterable[str] = (),
        origin: str = "configuration",
    ) -> RuleConfig:
        """Validated configuration; every rule id must exist, every severity be error or warning."""
        disable, exclude = list(disable), [g for g in exclude if g.strip()]
        severity = dict(severity or {})
        if not disable and not severity and not exclude:
            return cls()
        known = _known_ids()
        levels: dict[str, Severity] = {}
        for rid, level in severity.items():
            key = _check_id(rid, f"{origin}: severity", known)
            try:
                levels[key] = Severity(str(level).strip().lower())
            except ValueError:
                raise UserError(f"{origin}: severity of {rid!r} must be error or warning, not {level!r}") from None
        off = frozenset(_check_id(r, f"{origin}: disable", known) for r in disable if r.strip())
        return cls(off, levels, tuple(exclude))

    def excluded(self, path: str) -> bool:
        """Does an ``exclude`` glob match the path (or one of its trailing parts, as ruff matches)?"""
        if not self.exclude:
            return False
        p = PurePosixPath(path.replace("\\", "/"))
        tails = [str(PurePosixPath(*p.parts[i:])) for i in range(len(p.parts))]
        return any(fnmatch.fnmatchcase(t, glob) for glob in self.exclude for t in tails)

    def apply(self, findings: Iterable[Finding]) -> tuple[Finding, ...]:
        out = []
        for f in findings:
            if f.rule in self.disable or self.excluded(f.path):
                continue
            level = self.severity.get(f.rule)
            out.append(replace(f, severity=level) if level is not None and level is not f.severity else f)
        return tuple(out)

    def apply_advisories(self, advisories: Iterable[Advisory]) -> tuple[Advisory, ...]:
        """The same for the dry run's advisories (a rule each): disabled ones go, severities change,
        and one located in an excluded path goes (one without a location stays)."""
        out = []
        for a in advisories:
            if a.rule in self.disable or (a.path is not None and self.excluded(a.path)):
                continue
            level = self.severity.get(a.rule)
            out.append(replace(a, severity=level) if level is not None and level is not a.severity else a)
        return tuple(out)

    @property
    def active(self) -> bool:
        return bool(self.disable or self.severity or self.exclude)
