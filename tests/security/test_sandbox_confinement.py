"""Defence in depth: even with a file-reading primitive (here the dry run's own superuser session,
which PR SQL never gets), the local dry-run server cannot read the workspace or anything outside its
temp folder and install tree (Landlock, dryrun/confine.py). On main the superuser reads both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sandbox_helpers import shared_folder

from migration_guard.dryrun import confine
from migration_guard.dryrun.providers import ephemeral_postgres

pytestmark = pytest.mark.skipif(not confine.supported(), reason="the kernel offers no Landlock here")


@pytest.fixture(name="workspace")
def _workspace() -> Iterator[Path]:
    """A world-readable checkout with a token in .git/config, as on a GitHub runner."""
    for d in shared_folder():
        git = d / ".git"
        git.mkdir()
        git.chmod(0o755)
        (git / "config").write_text('[http]\n\textraheader = "AUTHORIZATION: basic MG-SECRET-MARKER-5519"\n')
        (git / "config").chmod(0o644)
        yield d


def test_the_server_cannot_read_the_workspace_even_as_superuser(workspace: Path) -> None:
    config = workspace / ".git" / "config"
    with ephemeral_postgres("local", None, None, None) as server, \
            psycopg.connect(server.conninfo(), autocommit=True) as su:
        assert su.execute("select rolsuper from pg_roles where rolname = current_user").fetchone() == (True,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Permission denied"):
            su.execute("select pg_read_file(%s)", (str(config),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="Permission denied"):
            su.execute("select pg_ls_dir(%s)", (str(workspace),))
        su.execute("create temp table loot (line text)")
        with pytest.raises(psycopg.Error):  # the shell it starts is confined as well
            su.execute(f"copy loot from program 'cat {config}'")
        # what the server needs still works: its own files, extensions from the tree and /usr
        assert su.execute("select pg_read_file('PG_VERSION')").fetchone() == ("15\n",)
        su.execute("create extension if not exists pgcrypto schema public")
        assert su.execute("select length(public.digest('x', 'sha256'))").fetchone() == (32,)
