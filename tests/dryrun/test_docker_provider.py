"""The Docker provider. No Docker engine runs on this machine, so this is the ONE place with a mock:
a fake client object records what the provider asks the engine for. We check the container
arguments (image, trust auth, network namespace, no leaked environment) and that the container is
removed on success and on failure. Everything else in the dry run is tested on real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from migration_guard.dryrun.docker import (
    container_args,
    create_container,
    default_image,
    docker_server,
    superuser_for,
    wait_ready,
)
from migration_guard.errors import UserError


class FakeContainer:
    def __init__(self) -> None:
        self.removed: list[dict[str, Any]] = []

    def remove(self, **kwargs: Any) -> None:
        self.removed.append(kwargs)


class FakeContainers:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.container = FakeContainer()

    def run(self, **kwargs: Any) -> FakeContainer:
        self.calls.append(kwargs)
        return self.container


class FakeClient:
    def __init__(self) -> None:
        self.containers = FakeContainers()


def test_inside_a_container_the_server_joins_our_network_namespace() -> None:
    args = container_args("postgres:15", 54329, in_container=True, hostname="abc123")
    assert args["image"] == "postgres:15"
    assert args["network_mode"] == "container:abc123"
    assert "ports" not in args
    assert args["environment"] == {"POSTGRES_HOST_AUTH_METHOD": "trust"}  # nothing of ours (no tokens)
    assert args["command"][:3] == ["postgres", "-p", "54329"]
    assert "fsync=off" in args["command"]
    assert args["detach"] is True


def test_outside_a_container_the_port_is_published_on_loopback_only() -> None:
    args = container_args("supabase/postgres:15.8.1.060", 54330, in_container=False, hostname="laptop")
    assert "network_mode" not in args
    assert args["ports"] == {"54330/tcp": ("127.0.0.1", 54330)}
    assert args["image"] == "supabase/postgres:15.8.1.060"


def test_container_is_removed_when_the_server_never_gets_ready() -> None:
    import psycopg

    def never_ready(port: int) -> Any:
        def check() -> object:
            raise psycopg.OperationalError(f"connection to 127.0.0.1:{port} refused")

        return check

    client = FakeClient()
    with (
        pytest.raises(UserError, match="did not accept connections"),
        docker_server("postgres:16", None, client=client, ready=never_ready, ready_timeout=0.05),
    ):
        pass
    assert client.containers.calls[0]["image"] == "postgres:16"
    assert client.containers.container.removed == [{"force": True}]


def test_readiness_polls_until_a_connection_succeeds() -> None:
    import psycopg

    attempts: list[int] = []

    def check() -> object:
        attempts.append(1)
        if len(attempts) < 3:
            raise psycopg.OperationalError("not yet")
        return (1,)

    wait_ready(check, timeout=5, interval=0.001)
    assert len(attempts) == 3
    with pytest.raises(UserError, match="did not accept connections"):
        wait_ready(lambda: (_ for _ in ()).throw(psycopg.OperationalError("down")), timeout=0.05, interval=0.01)


def test_image_defaults_and_the_superuser_of_supabase_images() -> None:
    assert default_image().startswith("postgres:")
    assert superuser_for("postgres:15") == "postgres"
    assert superuser_for("supabase/postgres:15.8.1.060") == "supabase_admin"


def test_on_an_engine_without_a_bridge_the_server_shares_the_host_network_on_loopback() -> None:
    args = container_args("postgres:15", 54331, in_container=False, hostname="", host_network=True)
    assert args["network_mode"] == "host" and "ports" not in args
    assert "listen_addresses=127.0.0.1" in args["command"]
    joined = container_args("postgres:15", 54332, in_container=True, hostname="f" * 64)
    assert joined["network_mode"] == f"container:{'f' * 64}" and "listen_addresses=127.0.0.1" in joined["command"]
    published = container_args("postgres:15", 54333, in_container=False, hostname="")
    assert not any(c.startswith("listen_addresses") for c in published["command"])  # the image's own (all)


def test_bridge_detection_asks_the_engine() -> None:
    from migration_guard.dryrun.docker import has_bridge_network

    class Networks:
        def __init__(self, names: list[str]) -> None:
            self.names = names

        def list(self, names: list[str]) -> list[str]:
            return [n for n in self.names if n in names]

    class Client:
        def __init__(self, names: list[str]) -> None:
            self.networks = Networks(names)

    assert has_bridge_network(Client(["bridge", "host", "none"])) is True
    assert has_bridge_network(Client(["host", "none"])) is False  # dockerd --bridge=none


def test_a_container_that_fails_to_start_is_removed() -> None:
    """Created, then started: when the start fails (a bad network mode, a missing entrypoint), the
    created container is still removed (a real engine's 404 left one behind before)."""

    class Created(FakeContainer):
        def start(self) -> None:
            raise RuntimeError("No such container: vm")

    class Creating(FakeContainers):
        def create(self, **kwargs: Any) -> FakeContainer:
            self.calls.append(kwargs)
            self.container = Created()
            return self.container

    client = FakeClient()
    client.containers = Creating()
    with pytest.raises(RuntimeError), docker_server("postgres:15", None, client=client):
        pass
    assert "detach" not in client.containers.calls[0]
    assert client.containers.container.removed == [{"force": True}]


class ImageNotFound(Exception):
    """Named as docker.errors.ImageNotFound, which the provider recognises by name."""


class Creating(FakeContainers):
    def __init__(self, have: set[str], error: Exception | None = None) -> None:
        super().__init__()
        self.have, self.error = have, error

    def create(self, **kwargs: Any) -> FakeContainer:
        self.calls.append(kwargs)
        if self.error is not None:
            raise self.error
        if kwargs["image"] not in self.have:
            raise ImageNotFound(f"404 Client Error for http+docker://localhost/v1.41/containers/create: "
                                f"Not Found (\"No such image: {kwargs['image']}\")")
        return self.container


def test_an_image_the_engine_lacks_is_one_line_naming_it() -> None:
    """The engine's 404 (a URL and the SDK's wording) reached the PR comment's warning, and was a
    traceback from `plan --postgres docker`."""
    client = FakeClient()
    client.containers = Creating(have={"postgres:15"})
    assert create_container(client, {"image": "postgres:15"}) is client.containers.container
    with pytest.raises(UserError) as err, docker_server("supabase/postgres:17.4.1.067", None, client=client):
        pass
    assert err.value.message == (
        "supabase/postgres:17.4.1.067 is not on this Docker engine; the dry run does not pull images "
        "(`docker pull supabase/postgres:17.4.1.067` first)"
    )


def test_other_create_errors_pass_through() -> None:
    client = FakeClient()
    client.containers = Creating(have=set(), error=RuntimeError('Conflict. The container name is already in use'))
    with pytest.raises(RuntimeError, match="already in use"):
        create_container(client, {"image": "postgres:15"})
