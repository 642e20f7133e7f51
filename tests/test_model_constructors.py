"""Statement and Finding write their fields straight into the instance (speed): their hand-written
constructors must take exactly the dataclass fields, with the same defaults, and stay frozen."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from migration_guard.model import Finding, Severity, Statement


@pytest.mark.parametrize("cls", [Statement, Finding])
def test_constructor_takes_every_field_with_its_default(cls: type) -> None:
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in params] == [f.name for f in fields]
    assert [p.default for p in params] == [
        inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fields
    ]


def test_instances_compare_hash_replace_and_stay_frozen() -> None:
    a = Finding("r", Severity.ERROR, "p.sql", 1, 2, "m", "w", "f")
    b = Finding(rule="r", severity=Severity.ERROR, path="p.sql", line=1, column=2, message="m", why="w", fix="f")
    assert a == b and hash(a) == hash(b) and a.suppressed is False and a.reason is None
    assert dataclasses.replace(a, line=3).line == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(a, "line", 4)  # noqa: B010 (an attribute write, as any caller would do)
    s = Statement(0, "SELECT 1", "SelectStmt", '{"SelectStmt":{}}', 1, 1, 0, 8, 0)
    assert dataclasses.asdict(s)["sql"] == "SELECT 1" and s.node == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(s, "sql", "x")  # noqa: B010
