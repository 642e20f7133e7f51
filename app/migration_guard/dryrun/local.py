"""An ephemeral PostgreSQL server from local binaries (FACTS.md, "Ephemeral PostgreSQL").

initdb into a private temp dir, unix socket only, durability off, readiness by polling
``postmaster.pid``. PostgreSQL refuses to run as root, so as root (Docker actions are) initdb and
the server run as an unprivileged user. Always torn down: ``stop()`` is idempotent and the class is
a context manager.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from migration_guard.errors import UserError

FAST_SETTINGS = {
    "listen_addresses": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "autovacuum": "off",
    "jit": "off",
    "max_connections": "50",
}
PORT = 5432  # only names the socket file; the socket lives in a private folder


def find_bin_dir(explicit: Path | None = None) -> Path:
    """The folder holding initdb and postgres: explicit, PATH, then /usr/lib/postgresql newest first."""
    if explicit is not None:
        if not (explicit / "initdb").exists():
            raise UserError(f"{explicit}: no initdb there (--postgres-bin must name a PostgreSQL bin folder)")
        return explicit
    on_path = shutil.which("initdb")
    if on_path and shutil.which("postgres"):
        return Path(on_path).resolve().parent
    candidates = []
    for d in Path("/usr/lib/postgresql").glob("*/bin"):
        if (d / "initdb").exists() and re.fullmatch(r"\d+", d.parent.name):
            candidates.append((int(d.parent.name), d))
    if not candidates:
        raise UserError(
            "no PostgreSQL server binaries found (initdb); install them (Debian: apt-get install "
            "postgresql), pass --postgres-bin, or use --postgres-url / --postgres docker"
        )
    return max(candidates)[1]


def major_version(bin_dir: Path) -> int:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    # "postgres (PostgreSQL) 15.18 (Debian 15.18-1.pgdg120+1)": the first number after the name.
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out.stdout) or re.search(r"(\d+)", out.stdout)
    return int(m.group(1)) if m else 0


def _run_as() -> tuple[int, int] | None:
    """(uid, gid) to run the server as when we are root; None when we are not."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise UserError("running as root and no unprivileged user (postgres) exists to run PostgreSQL as")


def minimal_env() -> dict[str, str]:
    """The server's environment: nothing of ours (no tokens, no INPUT_* variables)."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}


def copy_data_dir(source: Path, target: Path) -> None:
    """Copy a data dir keeping owners and modes; cp is 2-3x faster than shutil.copytree here.

    Hard links are not kept: a prepared folder may share equal files between its databases (the
    action's image does, to stay small), and the server writes its files in place."""
    if shutil.which("cp"):
        cmd = ["cp", "-a", "--no-preserve=links", "--reflink=auto", str(source), str(target)]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode == 0:
            return
        shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)


# In a prepared data dir (providers._prepare_cache): the folders of the databases no session may
# connect to (template0, and `postgres`, which the dry run never uses), one relative path a line.
# No backend writes into them, so each run links them instead of copying: half the folder. Sealed
# read-only to the server's user (providers.seal), and read-only under Landlock too (confine.py).
SHARED_MANIFEST = "migration_guard_shared"
# Rebuilt by the server at every start (it removes them first): not worth copying.
_NOT_COPIED = frozenset({"pg_internal.init", "postmaster.pid", "postmaster.opts"})


def _copy_file(src: str, dst: str, st: os.stat_result, chown: bool) -> None:
    fin = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    try:
        # Writable by its owner even where the source is not (a file hard-linked to a sealed one).
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, st.st_mode & 0o7777 | 0o600)
        try:
            if chown:
                os.fchown(fout, st.st_uid, st.st_gid)
            left = st.st_size
            while left > 0:
                try:  # in-kernel copy (a reflink where the file system can): no bytes through Python
                    n = os.copy_file_range(fin, fout, left)
                except OSError:  # another file system on an old kernel, or a file system without it
                    n = os.sendfile(fout, fin, None, left)
                if n == 0:
                    break
                left -= n
        finally:
            os.close(fout)
    finally:
        os.close(fin)


def _copy_tree(src: str, dst: str, st: os.stat_result, chown: bool, shared: dict[str, str]) -> None:
    os.mkdir(dst, 0o700)
    if chown:
        os.chown(dst, st.st_uid, st.st_gid)
    os.chmod(dst, st.st_mode & 0o7777 | 0o700)  # mkdir applies the umask
    with os.scandir(src) as entries:
        for entry in entries:
            if entry.name in _NOT_COPIED:
                continue
            target = os.path.join(dst, entry.name)
            if entry.path in shared:
                os.symlink(shared[entry.path], target)
            elif entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            elif entry.is_dir():
                _copy_tree(entry.path, target, entry.stat(), chown, shared)
            else:
                _copy_file(entry.path, target, entry.stat(), chown)


def server_can_reach(folder: Path) -> bool:
    """Can the server's user (``_run_as``) traverse every folder down to ``folder``?"""
    ids = _run_as()
    if ids is None:  # the server runs as we do
        return True
    for d in (folder, *folder.parents):
        st = d.stat()
        bit = 0o100 if st.st_uid == ids[0] else 0o010 if st.st_gid == ids[1] else 0o001
        if not st.st_mode & bit:
            return False
    return True


def shared_dirs(source: Path) -> list[Path]:
    """The folders of prepared data dir ``source`` a run links instead of copying (``SHARED_MANIFEST``):
    only those the server's user owns and can reach (not in a private home folder)."""
    try:
        lines = (source / SHARED_MANIFEST).read_text().split()
    except FileNotFoundError:
        return []
    ids = _run_as()
    owner = ids[0] if ids is not None else os.geteuid()
    root = source.resolve()
    if not server_can_reach(root):
        return []
    found = []
    for rel in lines:
        folder = (root / rel).resolve()
        if folder.parent.parent == root and folder.is_dir() and folder.stat().st_uid == owner:
            found.append(folder)
    return found


def clone_data_dir(source: Path, target: Path) -> list[Path]:
    """A data dir for one run from prepared ``source``: everything copied (owners and modes kept, no
    hard links: the server writes its files in place) except the shared folders, which are symbolic
    links to ``source``'s. Returns those."""
    shared = shared_dirs(source)
    links = {str(source / p.relative_to(source.resolve())): str(p) for p in shared}
    try:
        _copy_tree(str(source), str(target), source.stat(), os.geteuid() == 0, links)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    (target / SHARED_MANIFEST).unlink(missing_ok=True)
    return shared


class LocalPostgres:
    def __init__(
        self,
        bin_dir: Path | None = None,
        settings: dict[str, str] | None = None,
        template_data_dir: Path | None = None,
        superuser: str = "postgres",
        executable: Path | None = None,
        confine_read: tuple[Path, ...] | None = None,
    ) -> None:
        """``superuser``: the role initdb creates (the dry run uses ``supabase_admin``, as Supabase
        does, so that ``postgres`` can be an ordinary role). ``executable``: the ``postgres`` binary
        to start, e.g. from a private install tree (``sharetree.py``); initdb runs from ``bin_dir``.
        ``confine_read``: confine the server's file access (``confine.py``) to the system folders,
        these paths (read) and its own temp folder (read/write); None: not confined."""
        self.bin_dir = find_bin_dir(bin_dir)
        self.settings = {**FAST_SETTINGS, **(settings or {})}
        self.template_data_dir = template_data_dir
        self.root: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.user = superuser
        self.executable = executable or self.bin_dir / "postgres"
        self.confine_read = confine_read
        self.shared: list[Path] = []  # folders of the template linked, not copied (read-only to the server)

    # -- paths -----------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "sock"

    def conninfo(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"host={self.socket_dir} port={PORT} user={user or self.user} dbname={dbname}"

    def url(self, dbname: str = "postgres", user: str | None = None) -> str:
        from urllib.parse import quote

        return f"postgresql://{user or self.user}@/{dbname}?host={quote(str(self.socket_dir), safe='')}&port={PORT}"

    # -- lifecycle -------------------------------------------------------------------------------
    def _popen_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"env": minimal_env(), "start_new_session": True}
        ids = _run_as()
        if ids is not None:
            # user= alone keeps gid 0 (FACTS.md): set group and drop supplementary groups too.
            kwargs.update(user=ids[0], group=ids[1], extra_groups=[])
        return kwargs

    def _prepare_root(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="migration-guard-pg-"))
        self.socket_dir.mkdir()
        ids = _run_as()
        if ids is not None:
            for p in (self.root, self.socket_dir):
                os.chown(p, *ids)

    def initdb(self) -> None:
        log = self.root / "initdb.log" if self.root else None
        cmd = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "-U", self.user,
            "--auth=trust",
            "-E", "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            # 1 MB WAL segments instead of 16: a third of the data dir, so initdb and the copy of a
            # cached data dir (--cache-dir) write and read less.
            "--wal-segsize=1",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, check=False, **self._popen_kwargs())  # type: ignore[call-overload]
        if proc.returncode != 0:
            if log:
                log.write_bytes(proc.stdout + proc.stderr)
            last = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
            raise UserError(f"initdb failed: {last[-1] if last else proc.returncode}")

    def start(self) -> LocalPostgres:
        try:
            self._prepare_root()
            if self.template_data_dir is not None:
                ids = _run_as()
                self.shared = clone_data_dir(self.template_data_dir, self.data_dir)
                if ids is not None and self.data_dir.stat().st_uid != ids[0]:
                    subprocess.run(["chown", "-R", "-h", f"{ids[0]}:{ids[1]}", str(self.data_dir)], check=True)
                self.data_dir.chmod(0o700)
            else:
                self.initdb()
            self._launch()
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self) -> None:
        args = [str(self.executable), "-D", str(self.data_dir), "-k", str(self.socket_dir), "-p", str(PORT)]
        for key, value in self.settings.items():
            args += ["-c", f"{key}={value}"]
        assert self.root is not None
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - closed when the server stops
        kwargs = self._popen_kwargs()
        if self.confine_read is not None:
            from migration_guard.dryrun.confine import preexec

            # The shared folders of a prepared data dir: read only, so no write can ever reach the cache.
            kwargs["preexec_fn"] = preexec([*self.confine_read, self.executable.parent, *self.shared], [self.root])
        try:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]
        finally:
            log.close()
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise UserError(f"PostgreSQL exited during start-up: {self.log_tail()}")
            try:
                lines = pid_file.read_text().splitlines()
            except (FileNotFoundError, PermissionError):
                lines = []
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
            time.sleep(0.005)
        raise UserError(f"PostgreSQL did not become ready within {timeout:.0f}s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            assert self.root is not None
            lines = (self.root / "server.log").read_text(errors="replace").strip().splitlines()
            return lines[-1] if lines else "(no log)"
        except (OSError, AssertionError):
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signal.SIGINT)  # fast shutdown
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        root, self.root = self.root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
