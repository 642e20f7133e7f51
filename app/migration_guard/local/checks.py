"""Simple CHECK constraints turned into value bounds and choices, with PostgreSQL's own parser.

Understood (on one column, combined with AND): comparisons with a constant (``n >= 0``,
``price > 0``), ``BETWEEN``, ``IN (…)`` / ``= ANY (ARRAY[…])`` and length limits
(``char_length(title) <= 200``, ``length(s) > 0``). Anything else is left to the generator's
retries: a row that violates a CHECK is regenerated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pglast import parser


@dataclass
class Limits:
    low: float | None = None  # inclusive
    high: float | None = None  # inclusive
    choices: list[Any] | None = None
    min_length: int | None = None
    max_length: int | None = None
    strict_low: bool = field(default=False)
    strict_high: bool = field(default=False)


def _const(node: dict[str, Any]) -> Any:
    """The Python value of a constant, through casts; raises KeyError when it is not one."""
    if "TypeCast" in node:
        return _const(node["TypeCast"]["arg"])
    c = node["A_Const"]
    if "ival" in c:
        return int(c["ival"].get("ival", 0))
    if "fval" in c:
        return float(c["fval"]["fval"])
    if "sval" in c:
        text = str(c["sval"].get("sval", ""))
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                return text
    if "boolval" in c:
        return bool(c["boolval"].get("boolval", False))
    raise KeyError("not a constant")


def _column(node: dict[str, Any]) -> str | None:
    if "TypeCast" in node:
        return _column(node["TypeCast"]["arg"])
    ref = node.get("ColumnRef")
    if ref:
        fields = ref.get("fields", [])
        last = fields[-1].get("String", {}).get("sval") if fields else None
        return str(last) if last else None
    return None


def _length_of(node: dict[str, Any]) -> str | None:
    call = node.get("FuncCall")
    if not call:
        return None
    name = call["funcname"][-1]["String"]["sval"]
    args = call.get("args", [])
    if name in ("char_length", "length", "character_length") and len(args) == 1:
        return _column(args[0])
    return None


FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _apply(limits: dict[str, Limits], column: str, op: str, value: Any, length: bool) -> None:
    lim = limits.setdefault(column, Limits())
    if length:
        if not isinstance(value, int | float):
            return
        n = int(value)
        if op in (">", ">="):
            lim.min_length = max(lim.min_length or 0, n + (1 if op == ">" else 0))
        elif op in ("<", "<="):
            bound = n - (1 if op == "<" else 0)
            lim.max_length = bound if lim.max_length is None else min(lim.max_length, bound)
        return
    if op == "=":
        lim.choices = [value]
    elif op in (">", ">=") and isinstance(value, int | float):
        if lim.low is None or value >= lim.low:
            lim.low, lim.strict_low = float(value), op == ">"
    elif op in ("<", "<=") and isinstance(value, int | float) and (lim.high is None or value <= lim.high):
        lim.high, lim.strict_high = float(value), op == "<"


def _walk(node: dict[str, Any], limits: dict[str, Limits]) -> None:
    if "BoolExpr" in node:
        if node["BoolExpr"]["boolop"] == "AND_EXPR":
            for arg in node["BoolExpr"]["args"]:
                _walk(arg, limits)
        return
    expr = node.get("A_Expr")
    if not expr:
        return
    kind = expr.get("kind")
    op = expr.get("name", [{}])[-1].get("String", {}).get("sval", "")
    left, right = expr.get("lexpr", {}), expr.get("rexpr", {})
    try:
        if kind == "AEXPR_OP" and op in FLIP:
            for col_side, const_side, operator in ((left, right, op), (right, left, FLIP[op])):
                column = _column(col_side)
                length_col = _length_of(col_side)
                if column or length_col:
                    _apply(limits, (column or length_col) or "", operator, _const(const_side), bool(length_col))
                    return
        elif kind in ("AEXPR_IN", "AEXPR_OP_ANY") and op == "=":
            column = _column(left)
            items = right.get("List", {}).get("items") or right.get("A_ArrayExpr", {}).get("elements", [])
            if column and items:
                limits.setdefault(column, Limits()).choices = [_const(i) for i in items]
        elif kind == "AEXPR_BETWEEN":
            column = _column(left)
            low, high = right["List"]["items"]
            if column:
                _apply(limits, column, ">=", _const(low), False)
                _apply(limits, column, "<=", _const(high), False)
    except (KeyError, IndexError, TypeError, ValueError):
        return


def parse_checks(definitions: list[str]) -> dict[str, Limits]:
    """``pg_get_constraintdef`` texts → per-column limits (what could be understood)."""
    limits: dict[str, Limits] = {}
    for definition in definitions:
        text = definition.strip()
        if not text.upper().startswith("CHECK"):
            continue
        expr = text[len("CHECK") :].strip()
        if expr.upper().endswith("NOT VALID"):
            expr = expr[: -len("NOT VALID")].strip()
        try:
            tree = json.loads(parser.parse_sql_json(f"select {expr}"))
            node = tree["stmts"][0]["stmt"]["SelectStmt"]["targetList"][0]["ResTarget"]["val"]
        except (parser.ParseError, KeyError, IndexError):
            continue
        _walk(node, limits)
    return limits
