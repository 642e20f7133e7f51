"""How much of a text a reader can see: reasons (an override's, a suppression's) must be visible."""

from __future__ import annotations

import unicodedata

# Categories that draw nothing: spaces (Zs, Zl, Zp), control (Cc), format (Cf: zero-width space,
# joiners, direction marks, the BOM), and combining marks on their own (Mn, Me).
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me", "Cn", "Co", "Cs"})
# Letters and symbols that render blank (Hangul fillers, the Braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader can see."""
    return sum(
        1
        for ch in text
        if not ch.isspace() and ch not in _BLANK_LETTERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
    )
