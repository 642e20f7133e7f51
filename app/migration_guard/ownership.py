"""Files we write into the runner's folders end up owned by the runner's user, not root.

A Docker action runs as root while the workspace belongs to the runner's user (uid 1001 on hosted
runners). Anything we create there (the audit folder, the JSON report, SARIF, objects a `git fetch`
adds) would be root-owned on the host, and the next step or the next job's checkout cleanup could
not change or delete it. The workspace's owner is the user to give them to: its root folder's
owner is the runner's user.

``hand_over(paths, workspace)`` is called once, at the edge, after everything is written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path


def owner_of(workspace: Path) -> tuple[int, int] | None:
    """(uid, gid) to give our files to: the workspace's owner when we are root and it is not; else None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None  # not root: what we create is already ours, and chown would fail anyway
    try:
        st = workspace.stat()
    except OSError:
        return None
    if st.st_uid == 0:
        return None
    return st.st_uid, st.st_gid


def _chown_root_owned(path: Path, ids: tuple[int, int]) -> None:
    """``path`` and, for a folder, everything under it that root owns (nobody else's files)."""
    with contextlib.suppress(OSError):
        if path.lstat().st_uid == 0:
            os.lchown(path, *ids)
    if not path.is_dir() or path.is_symlink():
        return
    for folder, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            entry = Path(folder, name)
            with contextlib.suppress(OSError):
                if entry.lstat().st_uid == 0:
                    os.lchown(entry, *ids)


def _created_chain(path: Path, uid: int) -> list[Path] | None:
    """``path`` and the root-owned folders above it, up to the first folder the owner has.

    None when no folder above belongs to the owner (e.g. a SARIF file in /tmp): that is not a
    folder of the runner's, so nothing there is changed.
    """
    chain: list[Path] = []
    current = path
    while True:
        try:
            st = current.lstat()
        except OSError:
            return None
        if st.st_uid == uid:
            return chain
        if st.st_uid != 0:
            return None  # someone else's folder: leave it alone
        chain.append(current)
        if current.parent == current:
            return None
        current = current.parent


def hand_over(paths: Iterable[Path], workspace: Path) -> list[Path]:
    """Give each written path (and the folders we created above it) to the workspace's owner.

    Relative paths are taken from the workspace. Returns what was handed over (for tests and logs);
    a no-op (empty list) when we are not root or the workspace is root's.
    """
    ids = owner_of(workspace)
    if ids is None:
        return []
    done: list[Path] = []
    for raw in paths:
        path = raw if raw.is_absolute() else workspace / raw
        path = Path(os.path.abspath(path))
        chain = _created_chain(path, ids[0])
        if chain is None:
            continue
        _chown_root_owned(path, ids)  # also when the folder was the owner's already (new files inside)
        for entry in chain[1:]:
            with contextlib.suppress(OSError):
                os.lchown(entry, *ids)
        done.append(path)
        done.extend(chain[1:])
    return done
