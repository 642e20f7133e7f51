"""Plausible values for one column: by type, narrowed by CHECK limits, flavoured by the column name.

Deterministic: every choice comes from the Faker instance (seeded) passed in; dates are drawn from a
fixed window, never relative to today, so the same seed value gives the same rows on any day.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from psycopg.types.json import Json, Jsonb

from migration_guard.local.catalog import Column
from migration_guard.local.checks import Limits

WINDOW_START = datetime(2023, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2025, 12, 31, tzinfo=UTC)

INTEGER_TYPES = {"int2": 32767, "int4": 2**31 - 1, "int8": 2**63 - 1}
FLOAT_TYPES = {"float4", "float8", "numeric", "money"}
TEXT_TYPES = {"text", "varchar", "bpchar", "citext", "name"}


LONG_TEXT = {"body", "content", "description", "bio", "about", "notes", "note", "comment", "message", "summary",
             "text", "details"}  # fmt: skip


class Unsupported(Exception):
    """No generator for this column's type (the column keeps its default or NULL)."""


def _words(name: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", name.lower())) - {""}


# Column-name hints for text: (test on the name, generator). First match wins.
def _text_generator(column: str, table: str, fake: Any) -> Callable[[], str]:
    n = column.lower()
    w = _words(n)
    person_table = any(x in table.lower() for x in ("user", "profile", "person", "people", "member", "customer", "author", "contact", "employee", "student"))  # noqa: E501
    rules: list[tuple[bool, Callable[[], str]]] = [
        ("email" in n, lambda: fake.email()),
        (("first" in w and "name" in w) or n in ("firstname", "given_name"), lambda: fake.first_name()),
        (("last" in w and "name" in w) or n in ("lastname", "surname", "family_name"), lambda: fake.last_name()),
        (n in ("full_name", "fullname", "display_name") or (n == "name" and person_table), lambda: fake.name()),
        (bool(w & {"username", "handle", "login", "nickname"}) or n == "user_name", lambda: fake.user_name()),
        (bool(w & {"avatar", "image", "photo", "picture", "thumbnail", "logo"}), lambda: fake.image_url()),
        (bool(w & {"url", "website", "link", "homepage", "href", "uri"}), lambda: fake.url()),
        (bool(w & {"phone", "mobile", "tel", "telephone", "fax"}), lambda: fake.phone_number()),
        ("city" in w or "town" in w, lambda: fake.city()),
        ("country" in w and "code" in w, lambda: fake.country_code()),
        ("country" in w, lambda: fake.country()),
        (bool(w & {"zip", "postcode", "postal"}), lambda: fake.postcode()),
        (bool(w & {"state", "region", "province"}) and "status" not in w, lambda: fake.state()),
        (bool(w & {"address", "street"}), lambda: fake.street_address()),
        (bool(w & {"company", "organization", "organisation", "org", "employer", "team"}), lambda: fake.company()),
        (bool(w & {"job", "occupation", "position"}), lambda: fake.job()),
        ("slug" in w, lambda: fake.slug()),
        (bool(w & {"tag", "tags", "label", "labels", "keyword", "keywords"}), lambda: fake.word()),
        ("color" in w or "colour" in w, lambda: fake.hex_color()),
        ("currency" in w, lambda: fake.currency_code()),
        (bool(w & {"locale", "language", "lang"}), lambda: fake.locale()),
        (bool(w & {"ip"}), lambda: fake.ipv4()),
        (bool(w & {"token", "hash", "secret", "key", "sha", "checksum"}), lambda: fake.sha1()),
        (bool(w & LONG_TEXT), lambda: fake.paragraph(nb_sentences=2)),
        (bool(w & {"title", "subject", "headline", "caption"}), lambda: fake.sentence(nb_words=5).rstrip(".")),
        (n == "name" or n.endswith("_name") or "name" in w, lambda: fake.catch_phrase()),
        (bool(w & {"status", "state", "kind", "type", "category"}), lambda: fake.word()),
        (bool(w & {"sku", "code", "reference", "ref"}), lambda: fake.bothify("??-#####").upper()),
    ]
    for matches, generator in rules:
        if matches:
            return generator
    return lambda: fake.sentence(nb_words=3).rstrip(".")


def _int_range(column: Column, lim: Limits | None) -> tuple[int, int]:
    n = column.name.lower()
    w = _words(n)
    if "age" in w:
        low, high = 18, 90
    elif "year" in w:
        low, high = 1990, 2025
    elif w & {"rating", "stars", "score"}:
        low, high = 1, 5
    elif w & {"count", "quantity", "qty", "position", "rank", "order", "priority", "sort", "level"}:
        low, high = 0, 100
    elif w & {"price", "amount", "cost", "total", "cents", "balance"}:
        low, high = 100, 100_000
    else:
        low, high = 1, 1000
    top = INTEGER_TYPES.get(column.type_name, 2**31 - 1)
    if lim is not None:
        if lim.low is not None:
            bound = int(lim.low) + (1 if lim.strict_low and lim.low == int(lim.low) else 0)
            low = max(low, bound) if lim.high is None or bound <= high else bound
            if lim.high is None and low > high:
                high = low + 1000
        if lim.high is not None:
            bound = int(lim.high) - (1 if lim.strict_high and lim.high == int(lim.high) else 0)
            high = min(high, bound) if bound >= low else bound
            if low > high:
                low = max(int(lim.low) if lim.low is not None else bound - 1000, bound - 1000)
    return max(low, -top), min(high, top)


def _float(column: Column, lim: Limits | None, fake: Any) -> float | Decimal:
    n = column.name.lower()
    w = _words(n)
    if w & {"lat", "latitude"}:
        low, high = -90.0, 90.0
    elif w & {"lng", "lon", "longitude"}:
        low, high = -180.0, 180.0
    elif w & {"rating", "score", "stars"}:
        low, high = 1.0, 5.0
    elif w & {"price", "amount", "cost", "total", "balance", "fee", "salary"}:
        low, high = 1.0, 500.0
    else:
        low, high = 0.0, 1000.0
    scale = 2
    if column.numeric_precision is not None:
        precision, scale = column.numeric_precision
        limit = 10 ** (precision - scale) - 1
        low, high = max(low, -limit), min(high, limit)
    if lim is not None:
        if lim.low is not None:
            low = lim.low + (10**-scale if lim.strict_low else 0)
            high = max(high, low + 1)
        if lim.high is not None:
            high = lim.high - (10**-scale if lim.strict_high else 0)
            low = min(low, high - 1) if lim.low is None else low
    value: float = low + (high - low) * float(fake.random.random())
    if column.type_name == "numeric":
        return Decimal(str(round(value, scale)))
    return round(value, scale)


def _datetime(fake: Any, column: Column) -> datetime:
    w = _words(column.name)
    start, end = WINDOW_START, WINDOW_END
    if w & {"birth", "birthday", "dob", "born"}:
        start, end = datetime(1950, 1, 1, tzinfo=UTC), datetime(2005, 12, 31, tzinfo=UTC)
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=fake.random.randint(0, seconds))


def _text(column: Column, table: str, lim: Limits | None, fake: Any) -> str:
    value = _text_generator(column.name, table, fake)()
    longest = min(x for x in (column.max_length, lim.max_length if lim else None, 10_000) if x is not None)
    shortest = (lim.min_length or 0) if lim else 0
    if column.type_name == "bpchar" and column.max_length:
        shortest = max(shortest, 0)
    if len(value) > longest:
        value = value[:longest].rstrip() or value[:longest]
    while len(value) < shortest:
        value += fake.random.choice(string.ascii_lowercase)
    return value


def scalar(column: Column, table: str, lim: Limits | None, fake: Any) -> Any:
    """One value for a non-array column; raises Unsupported for types we cannot make up."""
    if lim is not None and lim.choices:
        return fake.random.choice(lim.choices)
    if column.enum_labels:
        return fake.random.choice(column.enum_labels)
    t = column.type_name
    if t in INTEGER_TYPES:
        low, high = _int_range(column, lim)
        return fake.random.randint(low, high)
    if t in FLOAT_TYPES:
        return _float(column, lim, fake)
    if t in TEXT_TYPES:
        return _text(column, table, lim, fake)
    if t == "uuid":
        return fake.uuid4()
    if t == "bool":
        return fake.random.random() < 0.5
    if t == "timestamptz":
        return _datetime(fake, column)
    if t == "timestamp":
        return _datetime(fake, column).replace(tzinfo=None)
    if t == "date":
        return _datetime(fake, column).date()
    if t in ("time", "timetz"):
        return time(fake.random.randint(0, 23), fake.random.choice((0, 15, 30, 45)))
    if t == "interval":
        return timedelta(minutes=fake.random.randint(1, 600))
    if t in ("json", "jsonb"):
        doc = {"source": "migration-guard seed", "tags": fake.words(nb=2), "score": fake.random.randint(0, 100)}
        return Jsonb(doc) if t == "jsonb" else Json(doc)
    if t in ("inet", "cidr"):
        return fake.ipv4()
    if t == "bytea":
        return fake.binary(length=16)
    raise Unsupported(column.formatted)


def value(column: Column, table: str, lim: Limits | None, fake: Any) -> Any:
    if column.is_array:
        return [scalar(column, table, None, fake) for _ in range(fake.random.randint(1, 3))]
    return scalar(column, table, lim, fake)
