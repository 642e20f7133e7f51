"""The Docker engine provider: ``postgres:<major>`` (or any image, e.g. Supabase's own) via the SDK.

Inside a container action the server joins our network namespace
(``network_mode=container:<own id>``, the id read from our mounts) and answers on 127.0.0.1; outside
a container its port is published on 127.0.0.1 only, or, on an engine without a bridge network,
it shares the host's network and listens on 127.0.0.1 only. Trust auth, fast settings, readiness by
polling a connection, and the container is removed on exit whatever happens.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

from migration_guard.dryrun.local import FAST_SETTINGS
from migration_guard.dryrun.server import DRYRUN_DB, Prepare, Server, create_database, server_version
from migration_guard.errors import UserError

DEFAULT_MAJOR = 15


def inside_container() -> bool:
    if Path("/.dockerenv").exists():
        return True
    with contextlib.suppress(OSError):
        return any(w in Path("/proc/1/cgroup").read_text() for w in ("docker", "containerd", "kubepods"))
    return False


def own_container_id() -> str:
    """Our container's id, to join its network namespace; the hostname when it cannot be read.

    The hostname is the id's first 12 characters on a bridge network (GitHub's job network), but
    with `--network host` it is the machine's name; the engine's bind mounts of /etc/hostname and
    /etc/resolv.conf name the container's folder, and so its full id, in any network mode.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            m = re.search(r"/containers/([0-9a-f]{64})/(?:hostname|resolv\.conf|hosts)\b", line)
            if m:
                return m.group(1)
    return socket.gethostname()


def sibling_of(client: Any) -> str | None:
    """The id of the container we run in, when this engine runs it (a container action with the
    socket mounted): the server then joins its network namespace. None on a machine of its own,
    or in a container of another runtime (CI sandboxes, Kubernetes pods) that the engine does not
    know: there the server is reached through the host's network or a published port."""
    if not inside_container():
        return None
    candidates = [own_container_id(), socket.gethostname()]
    get = getattr(getattr(client, "containers", None), "get", None)
    if get is None:
        return candidates[0]
    for candidate in candidates:
        try:
            return str(get(candidate).id)
        except Exception:
            continue
    return None


def has_bridge_network(client: Any) -> bool:
    """False when the engine runs without its default bridge (`dockerd --bridge=none`): no port
    publishing there, so the server shares the host's network and listens on 127.0.0.1 only."""
    networks = getattr(client, "networks", None)
    if networks is None:
        return True
    try:
        return bool(networks.list(names=["bridge"]))
    except Exception:
        return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def container_args(
    image: str, port: int, in_container: bool, hostname: str, host_network: bool = False
) -> dict[str, Any]:
    """The keyword arguments for ``client.containers.run`` (pure, so it is unit-tested)."""
    settings = {k: v for k, v in FAST_SETTINGS.items() if k != "listen_addresses"}
    if in_container or host_network:
        # A shared network namespace: only loopback, never the job's network or the machine's.
        settings["listen_addresses"] = "127.0.0.1"
    command = ["postgres", "-p", str(port)]
    for key, value in settings.items():
        command += ["-c", f"{key}={value}"]
    args: dict[str, Any] = {
        "image": image,
        "command": command,
        "detach": True,
        "auto_remove": False,  # removed explicitly, after we are done, even when it failed
        "name": f"migration-guard-dryrun-{uuid.uuid4().hex[:10]}",
        # Only what the server needs: never our environment (tokens, INPUT_* variables).
        "environment": {"POSTGRES_HOST_AUTH_METHOD": "trust"},
        "labels": {"migration-guard": "dry-run"},
        "tmpfs": {"/var/lib/postgresql/data": "rw"},
    }
    if in_container:
        args["network_mode"] = f"container:{hostname}"
    elif host_network:
        args["network_mode"] = "host"
    else:
        args["ports"] = {f"{port}/tcp": ("127.0.0.1", port)}
    return args


def superuser_for(image: str) -> str:
    """Supabase's image makes ``supabase_admin`` the superuser (``postgres`` is not one there)."""
    return "supabase_admin" if "supabase/postgres" in image else "postgres"


def default_image() -> str:
    """``postgres:<major>`` of the local server binaries when there are any, else 15."""
    try:
        from migration_guard.dryrun.local import find_bin_dir, major_version

        return f"postgres:{major_version(find_bin_dir()) or DEFAULT_MAJOR}"
    except (UserError, OSError, subprocess.SubprocessError):
        return f"postgres:{DEFAULT_MAJOR}"


def conninfo_for(port: int, db: str, user: str = "postgres") -> str:
    return f"host=127.0.0.1 port={port} user={user} dbname={db} connect_timeout=5"


def wait_ready(check: Callable[[], object], timeout: float = 60.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            check()
            return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(interval)
    raise UserError(f"the PostgreSQL container did not accept connections within {timeout:.0f}s: {last}")


def _connect_check(port: int, user: str = "postgres") -> Callable[[], object]:
    def check() -> object:
        with psycopg.connect(conninfo_for(port, "postgres", user), autocommit=True) as conn:
            return conn.execute("select 1").fetchone()

    return check


def _image_not_found(exc: BaseException) -> bool:
    return any(c.__name__ == "ImageNotFound" for c in type(exc).__mro__)  # docker.errors, without importing it


def create_container(client: Any, args: dict[str, Any]) -> Any:
    """``containers.create``; an image the engine lacks is one line naming it.

    ``create`` never pulls (unlike ``docker run``), and the dry run does not pull either: Supabase's
    image is a large download for every run of the action, and there the network extensions that
    the local provider stands in for (pg_net, http, wrappers) are real, so they are refused."""
    try:
        return client.containers.create(**args)
    except Exception as exc:
        if not _image_not_found(exc):
            raise
    image = str(args["image"])
    raise UserError(
        f"{image} is not on this Docker engine; the dry run does not pull images (`docker pull {image}` first)"
    )


@contextlib.contextmanager
def docker_server(
    image: str | None,
    prepare: Prepare | None,
    client: Any = None,
    ready: Callable[[int], Callable[[], object]] = _connect_check,
    ready_timeout: float = 60.0,
) -> Iterator[Server]:
    if client is None:
        try:
            import docker
        except ImportError:  # pragma: no cover - a declared dependency
            raise UserError("--postgres docker needs the docker package (pip install docker)") from None
        try:
            client = docker.from_env()
            client.ping()
        except Exception as exc:
            raise UserError(
                f"cannot reach the Docker engine ({type(exc).__name__}); is /var/run/docker.sock mounted?"
            ) from None
    image = image or os.environ.get("MIGRATION_GUARD_POSTGRES_IMAGE") or default_image()
    user = superuser_for(image)
    port = free_port()
    sibling = sibling_of(client)
    host_network = sibling is None and not has_bridge_network(client)
    args = container_args(image, port, sibling is not None, sibling or "", host_network)
    if hasattr(client.containers, "create"):
        # Created, then started inside the try: a container that fails to start is removed too.
        container = create_container(client, {k: v for k, v in args.items() if k != "detach"})
        start: Callable[[], object] = container.start
    else:  # a client that only runs (created and started in one call)
        container = client.containers.run(**args)
        start = lambda: None  # noqa: E731
    try:
        start()
        wait_ready(ready(port), timeout=ready_timeout)
        version = server_version(conninfo_for(port, "postgres", user))
        create_database(conninfo_for(port, "postgres", user), DRYRUN_DB)
        server = Server("docker", version, DRYRUN_DB, lambda db: conninfo_for(port, db, user), lambda db: (
            f"postgresql://{user}@127.0.0.1:{port}/{db}"
        ))
        server.extra["image"] = image
        if prepare is not None:
            prepare(server)
        yield server
    finally:
        with contextlib.suppress(Exception):
            container.remove(force=True)
