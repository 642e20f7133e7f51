"""A private install tree for the local dry-run server, so its extension folder is ours.

PostgreSQL finds its share folder relative to the ``postgres`` executable it runs from (its
relocatable-install logic resolves symlinks, so the executable is hard-linked or copied, never
symlinked). The tree mirrors the real layout under a private root:

    <root>/<bindir>/postgres          hard link (or copy) of the real binary
    <root>/<pkglibdir>                symlink to the real library folder
    <root>/<sharedir>/*               symlinks to the real share folder's entries, except:
    <root>/<sharedir>/extension/      the real control files rewritten (``trusted = true`` exactly
                                      for ``extension_policy.ALLOWED``, ``false`` for all others;
                                      ``directory`` names the real folder for their scripts, except
                                      those with Supabase's after-create grants: copied, appended),
                                      and our stand-ins (control and scripts)

so a non-superuser creates the allowlisted extensions itself: PostgreSQL runs their scripts as the
bootstrap superuser and no session is ever elevated. The tree belongs to us, not to the server's
user, and is built once per process.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from migration_guard.dryrun import extension_policy as policy

STANDIN_COMMENT = "Migration Guard stand-in:"
_TRUSTED_LINE = re.compile(r"^\s*trusted\s*=.*$", re.MULTILINE)
_DIRECTORY = re.compile(r"^\s*directory\s*=", re.MULTILINE)
_MODULE = re.compile(r"^\s*module_pathname\s*=\s*'([^']*)'", re.MULTILINE)
_DEFAULT_VERSION = re.compile(r"^\s*default_version\s*=\s*'([^']*)'", re.MULTILINE)

# Stand-ins preferred over a real extension older than this version: Debian bookworm's pg_cron 1.4
# rejects second schedules ('1 second', pgflow) that Supabase's pg_cron 1.6 accepts, and a dry run
# never needs a job to actually run.
PREFERRED_STANDINS: dict[str, tuple[int, ...]] = {"pg_cron": (1, 5)}


def _version(text: str) -> tuple[int, ...]:
    m = _DEFAULT_VERSION.search(text)
    return tuple(int(x) for x in re.findall(r"\d+", m.group(1))) if m else ()


def _replaces_real(name: str, real_control: Path) -> bool:
    """Does our stand-in replace this installation's real extension (too old to replay Supabase SQL)?"""
    floor = PREFERRED_STANDINS.get(name)
    if floor is None:
        return False
    try:
        return _version(real_control.read_text(encoding="utf-8")) < floor
    except OSError:
        return False


@dataclass(frozen=True)
class Layout:
    """Where the real installation keeps its parts."""

    bin_dir: Path
    share_dir: Path
    pkglib_dir: Path
    major: int = 0  # pg_config's major version (0: unknown); the binaries of one folder share it

    @property
    def extension_dir(self) -> Path:
        return self.share_dir / "extension"


@dataclass(frozen=True)
class ShareTree:
    root: Path
    layout: Layout
    standins: frozenset[str]  # the stand-ins this tree offers

    @property
    def postgres(self) -> Path:
        """The executable to start the server with (initdb may run from the real one)."""
        return _inside(self.root, self.layout.bin_dir) / "postgres"

    @property
    def extension_dir(self) -> Path:
        return _inside(self.root, self.layout.extension_dir)

    def extensions(self) -> set[str]:
        return {p.name[: -len(".control")] for p in self.extension_dir.glob("*.control")}


def _inside(root: Path, absolute: Path) -> Path:
    return root / absolute.relative_to(absolute.anchor)


@cache
def layout(bin_dir: Path) -> Layout | None:
    """The real share and library folders of the server in ``bin_dir`` (None when not found)."""
    pg_config = bin_dir / "pg_config"
    if pg_config.exists():
        # --version too: a few milliseconds here instead of `postgres --version` (which loads ICU).
        out = subprocess.run([str(pg_config), "--sharedir", "--pkglibdir", "--version"], capture_output=True,
                             text=True, check=False)
        lines = out.stdout.splitlines()
        if out.returncode == 0 and len(lines) == 3 and Path(lines[0], "extension").is_dir():
            m = re.match(r"PostgreSQL (\d+)", lines[2])
            return Layout(bin_dir, Path(lines[0]), Path(lines[1]), int(m.group(1)) if m else 0)
    from migration_guard.dryrun.extensions import extension_dirs

    for ext_dir in extension_dirs(bin_dir):
        if ext_dir.name == "extension" and any(ext_dir.glob("*.control")):
            prefix = bin_dir.parent
            for lib in (prefix / "lib" / "postgresql", prefix / "lib"):
                if (lib / "plpgsql.so").exists():
                    return Layout(bin_dir, ext_dir.parent, lib)
    return None


def standin_root() -> Path:
    return Path(str(resources.files("migration_guard.dryrun").joinpath("standins")))


def offered_standins(lay: Layout, strict: bool) -> dict[str, Path]:
    """Stand-in folders offered with this installation: none when ``strict``; never where a real
    extension of that name exists; one naming a library only when that library is installed."""
    if strict:
        return {}
    root = standin_root()
    if not root.is_dir():
        return {}
    found: dict[str, Path] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        control = folder / f"{folder.name}.control"
        real = lay.extension_dir / control.name
        if not control.is_file() or (real.exists() and not _replaces_real(folder.name, real)):
            continue
        module = _MODULE.search(control.read_text(encoding="utf-8"))
        if module:
            library = module.group(1).replace("$libdir", str(lay.pkglib_dir))
            if not any(Path(library + suffix).exists() for suffix in ("", ".so")):
                continue
        found[folder.name] = folder
    return found


def rewrite_control(name: str, text: str, real_dir: Path | None) -> str:
    """The control file with ``trusted`` set by policy (true only for the allowlisted), reading its
    scripts from the real folder (``directory``: no symlink per script, which is slow to create)."""
    trusted = policy.decide(name).verdict == "allowed"
    body = _TRUSTED_LINE.sub("", text).rstrip("\n")
    lines = [body, "# Migration Guard dry run: trusted set by extension_policy.py", f"trusted = {str(trusted).lower()}"]
    if real_dir is not None and not _DIRECTORY.search(text):
        lines.append(f"directory = '{real_dir}'")
    return "\n".join(lines) + "\n"


def _link_binary(root: Path, lay: Layout) -> None:
    target = _inside(root, lay.bin_dir) / "postgres"
    try:
        os.link(lay.bin_dir / "postgres", target)
    except FileExistsError:  # a concurrent run linked it first
        pass
    except OSError:  # another file system, or protected_hardlinks: a copy works the same
        staged = target.with_name(f".postgres-{os.getpid()}")
        shutil.copy2(lay.bin_dir / "postgres", staged)
        os.replace(staged, target)


def _populate(root: Path, lay: Layout, strict: bool, binary: bool = True) -> frozenset[str]:
    bin_dir = _inside(root, lay.bin_dir)
    bin_dir.mkdir(parents=True)
    if binary:
        _link_binary(root, lay)
    lib = _inside(root, lay.pkglib_dir)
    if not lib.exists():
        lib.parent.mkdir(parents=True, exist_ok=True)
        lib.symlink_to(lay.pkglib_dir)
    share = _inside(root, lay.share_dir)
    share.mkdir(parents=True, exist_ok=True)
    for entry in lay.share_dir.iterdir():
        if entry.name != "extension":
            (share / entry.name).symlink_to(entry)
    ext_dir = share / "extension"
    ext_dir.mkdir()
    offered = offered_standins(lay, strict)
    for entry in lay.extension_dir.glob("*.control"):
        name = entry.name[: -len(".control")]
        if name in offered:  # replaced by our stand-in (PREFERRED_STANDINS)
            continue
        after = policy.AFTER_CREATE.get(name)
        text = rewrite_control(name, entry.read_text(encoding="utf-8"), None if after else lay.extension_dir)
        (ext_dir / entry.name).write_text(text)
        if after:  # its scripts are ours, each ending with the grants (the last one run leaves them)
            for script in lay.extension_dir.glob(f"{glob.escape(name)}--*.sql"):
                body = script.read_text(encoding="utf-8")
                (ext_dir / script.name).write_text(f"{body}\n-- Migration Guard: as Supabase's after-create\n{after}")
    for folder in offered.values():
        for f in folder.iterdir():
            if f.is_file() and (f.suffix in (".control", ".sql")):
                shutil.copyfile(f, ext_dir / f.name)
    for top in (bin_dir, lib.parent, ext_dir):  # readable by the server's user, writable only by us
        for d in (top, *top.parents):
            if d == root.parent:
                break
            d.chmod(0o755)
    return frozenset(offered)


_BUILT: dict[tuple[Path, bool], ShareTree] = {}
_FORMAT = "1"  # bump when _populate's output changes in a way the key below does not see


def tree_key(lay: Layout, strict: bool, offered: dict[str, Path]) -> str:
    """Changes whenever the tree ``_populate`` would build does: the real installation (the binary,
    the share and extension folders' entries), the stand-ins offered and their files, and the code
    deciding the rewrite (this module and the extension policy)."""
    h = hashlib.sha256(f"{_FORMAT}\0{lay.bin_dir}\0{lay.share_dir}\0{lay.pkglib_dir}\0{strict}\0".encode())
    for path in (lay.bin_dir / "postgres", lay.share_dir, lay.extension_dir):
        st = path.stat()
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    with os.scandir(lay.extension_dir) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            st = entry.stat()
            h.update(f"{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    for name, folder in sorted(offered.items()):
        for f in sorted(folder.iterdir()):
            if f.is_file():
                h.update(f"{name}/{f.name}\0".encode() + f.read_bytes())
    for module in (__file__, policy.__file__):
        h.update(Path(module).read_bytes())
    return h.hexdigest()[:16]


def _cached(lay: Layout, strict: bool, cache_dir: Path, binary: bool = True) -> ShareTree | None:
    """The tree kept in ``cache_dir/.trees`` under its content key, built there first if missing;
    None when the server's user could not reach it there (a private home folder). ``binary``
    False: leave the executable out (an image bakes the tree: a hard link to a file of an earlier
    layer would copy it into this one); the first run links it in."""
    trees = cache_dir / ".trees"
    trees.mkdir(parents=True, exist_ok=True)
    trees = trees.resolve()
    from migration_guard.dryrun.local import server_can_reach

    if not server_can_reach(trees):
        return None
    offered = offered_standins(lay, strict)
    root = trees / tree_key(lay, strict, offered)
    tree = ShareTree(root, lay, frozenset(offered))
    if not root.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=trees))
        try:
            _populate(staging, lay, strict, binary)  # only absolute paths of the real installation inside: movable
            try:
                os.rename(staging, root)  # atomic: a concurrent run sees all or nothing
            except OSError:
                if not root.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    if binary and not tree.postgres.is_file():
        _link_binary(root, lay)
    return tree


def bake(bin_dir: Path, cache_dir: Path) -> Path | None:
    """Build the tree (without its executable) into ``cache_dir`` ahead of any run: the image does."""
    lay = layout(bin_dir)
    tree = _cached(lay, False, cache_dir, binary=False) if lay is not None else None
    return tree.root if tree is not None else None


def build(bin_dir: Path, strict: bool = False, cache_dir: Path | None = None) -> ShareTree | None:
    """The private tree for ``bin_dir``, built once per process (a hard link, ~70 small files and
    symlinks: tens of milliseconds) in the temp folder, removed at exit; with ``cache_dir`` (the
    prepared data folders' cache) kept there under a content key and reused by later runs. None when
    the installation's layout is not recognised (the server then runs from ``bin_dir`` itself,
    without stand-ins)."""
    memo = (bin_dir, strict)
    if memo in _BUILT and _BUILT[memo].postgres.exists():
        return _BUILT[memo]
    lay = layout(bin_dir)
    if lay is None:
        return None
    tree = None
    if cache_dir is not None:
        try:
            tree = _cached(lay, strict, cache_dir)
        except OSError:  # a cache we may not write (another user's, read-only): build our own below
            tree = None
    if tree is None:
        root = Path(tempfile.mkdtemp(prefix="migration-guard-tree-"))
        atexit.register(shutil.rmtree, root, True)
        try:
            tree = ShareTree(root, lay, _populate(root, lay, strict))
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
    _BUILT[memo] = tree
    return tree


def replaced_by_standin(bin_dir: Path, name: str, strict: bool = False) -> bool:
    """Will the dry-run server offer our stand-in instead of this installation's real ``name``?"""
    lay = layout(bin_dir)
    if lay is None or name not in offered_standins(lay, strict):
        return False
    return (lay.extension_dir / f"{name}.control").exists()


def available(bin_dir: Path, strict: bool = False) -> set[str] | None:
    """Extension names the dry-run server in ``bin_dir`` offers (real and stand-ins), without
    building the tree; None when the layout is not recognised."""
    lay = layout(bin_dir)
    if lay is None:
        return None
    with contextlib.suppress(OSError):
        real = {p.name[: -len(".control")] for p in lay.extension_dir.glob("*.control")}
        return real | set(offered_standins(lay, strict))
    return None
