"""Make user-controlled text (SQL, identifiers, file names, messages) inert in GitHub Markdown.

Migration SQL comes from the pull request, so its text must not be able to mention people, inject
HTML or links, or break the report's tables and collapsible blocks. Three contexts:

- ``text``: Markdown prose. Code spans the text already has (``\\`users.email\\```) are kept as code
  (GitHub renders them literally); everything else gets HTML and Markdown link syntax escaped and
  every ``@`` followed by a zero-width joiner, so ``@team`` never notifies anyone; bare URLs and
  issue references (``#12``, ``GH-12``) get one too, so they link nowhere.
- ``html``: inside raw HTML such as ``<summary>``, where Markdown is not parsed: entities only,
  code spans turned into ``<code>``.
- ``cell``: a table cell: ``text`` on one line, with ``|`` escaped (GFM splits cells before it parses
  code spans, so this applies inside code too).
"""

from __future__ import annotations

import html
import re

ZWJ = "\u200d"
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_MD_PUNCT = re.compile(r"([\\\[\]*_~#])")  # links need "[", so escaping brackets defuses ](…) too


def _defuse_mentions(text: str) -> str:
    return text.replace("@", "@" + ZWJ)


# What GitHub turns into a link on its own: bare URLs (autolinks) and issue references (`#12`,
# `owner/repo#12`, `GH-12`; a reference also puts a "mentioned this" backlink into that issue).
_URLS = re.compile(r"(?i)\b(?:(?:https?|ftp|mailto|file):(?=//)|www(?=\.))")
_REFERENCES = re.compile(r"(?i)\bgh(?=-\d)|#(?=\d)")


def _defuse_links(text: str, references: bool = True) -> str:
    """A zero-width joiner inside every bare URL (and issue reference): it reads the same, links nowhere."""
    text = _URLS.sub(lambda m: m.group(0) + ZWJ, text)
    return _REFERENCES.sub(lambda m: m.group(0) + ZWJ, text) if references else text


def _plain(text: str) -> str:
    """Escape prose that is not code: HTML entities, Markdown link/emphasis syntax, mentions, backticks."""
    text = html.escape(text, quote=False)
    text = _MD_PUNCT.sub(r"\\\1", text)
    return _defuse_links(_defuse_mentions(text)).replace("`", "\\`")


def _segments(text: str) -> list[tuple[bool, str]]:
    """Split into (is_code, part). Text with a backslash before a backtick is never split: GitHub would
    read ``\\``` as a literal backtick, so guessing code spans there could let raw HTML through."""
    if "\\`" in text:
        return [(False, text)]
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos : m.start()]))
        out.append((True, m.group(2)))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


# Everything a log viewer or the runner may take as a line break (.NET's ReadLine: CR, LF; Unicode's too).
_LINE_BREAKS = re.compile("[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


def one_line(value: str) -> str:
    """A message for a one-line log or terminal line: every line break becomes a space, so text from a
    pull request (a file name, an error message) can never start a line of its own (a workflow
    command such as ``::stop-commands::`` is only read at the start of a line)."""
    return _LINE_BREAKS.sub(" ", value)


def code(value: str) -> str:
    """An inline code span for any text (identifiers, SQL), whatever backticks it contains."""
    value = value.replace("\r", " ").replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}" if value else "` `"


def text(value: str, one_line: bool = False) -> str:
    """Markdown prose from user-controlled text."""
    if one_line:
        value = " ".join(value.split())
    return "".join(code(part) if is_code else _plain(part) for is_code, part in _segments(value))


def inline(value: str) -> str:
    """One line of our own prose that quotes user-controlled text (a deploy gate's reason, a refusal):
    HTML, link brackets, mentions and bare URLs made inert, ``|`` escaped for tables; Markdown
    emphasis and ``#12`` kept (such a line names our own pull request that way)."""
    value = html.escape(" ".join(value.split()), quote=False).replace("[", "\\[").replace("]", "\\]")
    return _defuse_links(_defuse_mentions(value), references=False).replace("|", "\\|")


def cell(value: str) -> str:
    """A table cell: one line, ``|`` escaped."""
    return text(value, one_line=True).replace("|", "\\|")


def code_cell(value: str) -> str:
    """A code span inside a table cell."""
    return code(" ".join(value.split())).replace("|", "\\|")


def html_text(value: str) -> str:
    """Text inside raw HTML (e.g. ``<summary>``): entities, mentions defused, code spans as ``<code>``."""
    value = " ".join(value.split())
    out = []
    for is_code, part in _segments(value):
        if is_code:
            out.append(f"<code>{html.escape(part, quote=False)}</code>")
        else:
            # Markdown is not parsed inside an HTML block today; entities for brackets keep it so if it were.
            escaped = html.escape(part, quote=False).replace("[", "&#91;").replace("]", "&#93;")
            out.append(_defuse_links(_defuse_mentions(escaped)))
    return "".join(out)


def code_block(value: str, lang: str = "") -> str:
    """A fenced block that the content cannot close (the fence is longer than any run inside)."""
    runs = re.findall(r"`{3,}|~{3,}", value)
    fence = "`" * max(3, max((len(r) + 1 for r in runs), default=3))
    return f"{fence}{lang}\n{value.rstrip()}\n{fence}"
