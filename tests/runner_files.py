"""The GitHub runner's side of the files a step writes, shared by every test that runs the action."""

from __future__ import annotations

__all__ = ["parse_outputs"]


def parse_outputs(text: str) -> dict[str, str]:
    """A GITHUB_OUTPUT file read as the runner reads it: `name<<DELIM`, the value's lines, `DELIM`."""
    out: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delim = line.split("<<", 1)
        value = []
        for inner in lines:
            if inner == delim:
                break
            value.append(inner)
        out[name] = "\n".join(value)
    return out
