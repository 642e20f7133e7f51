"""mg_privileged on a real server (with mg_guard): the two things Supabase lets its non-superuser
`postgres` do that PostgreSQL 15 keeps for superusers, and nothing more.

- CREATE/ALTER ROLE with BYPASSRLS or REPLICATION, when the caller has that attribute itself;
- CREATE FOREIGN DATA WRAPPER whose handler and validator belong to an installed extension
  (Quivr's `stripe_wrapper` on the `wrappers` stand-in), with USAGE granted to the caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from dryrun_servers import fresh_database
from migration_guard.dryrun import sharetree
from migration_guard.dryrun.local import LocalPostgres, find_bin_dir

Conn = psycopg.Connection[tuple[object, ...]]
MIGRATOR = "migrator"


@pytest.fixture(scope="module")
def server(pgext_installed: Path) -> Iterator[LocalPostgres]:
    if not (pgext_installed / "mg_privileged.so").exists():
        pytest.fail("mg_privileged.so was not installed by `make -C pgext install`")
    tree = sharetree.build(find_bin_dir())
    assert tree is not None and "wrappers" in tree.standins
    settings = {"shared_preload_libraries": "mg_guard,mg_privileged"}
    with LocalPostgres(settings=settings, executable=tree.postgres) as pg:
        with psycopg.connect(pg.conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {MIGRATOR} LOGIN CREATEROLE CREATEDB BYPASSRLS")
            conn.execute("CREATE ROLE plain_creator LOGIN CREATEROLE")  # no BYPASSRLS of its own
        yield pg


@pytest.fixture
def db(server: LocalPostgres) -> Iterator[str]:
    with fresh_database(server, owner=MIGRATOR) as name:
        yield name


def _as(server: LocalPostgres, db: str, user: str = MIGRATOR) -> Conn:
    return psycopg.connect(server.conninfo(dbname=db, user=user), autocommit=True)


def _fresh(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def test_a_bypassrls_role_as_supabase_storage_creates_service_role(server: LocalPostgres, db: str) -> None:
    role = _fresh("service_role")
    with _as(server, db) as conn:
        conn.execute(f"CREATE ROLE {role} NOLOGIN NOINHERIT BYPASSRLS")
        other = _fresh("reader")
        conn.execute(f"CREATE ROLE {other} NOLOGIN")
        conn.execute(f"ALTER ROLE {other} BYPASSRLS")
        rows = conn.execute(
            "select rolname, rolbypassrls, rolsuper from pg_roles where rolname in (%s, %s) order by 1", (role, other)
        ).fetchall()
    assert sorted(rows) == sorted([(role, True, False), (other, True, False)])


@pytest.mark.parametrize(
    ("user", "sql", "message"),
    [
        ("plain_creator", "CREATE ROLE {r} BYPASSRLS", "must be superuser to create bypassrls users"),
        (MIGRATOR, "CREATE ROLE {r} BYPASSRLS SUPERUSER", "must be superuser to create superusers"),
        (MIGRATOR, "CREATE ROLE {r} BYPASSRLS IN ROLE pg_execute_server_program", ""),
        (MIGRATOR, "CREATE ROLE {r} REPLICATION", "must be superuser to create replication users"),
    ],
)
def test_nothing_the_caller_does_not_already_have(
    server: LocalPostgres, db: str, user: str, sql: str, message: str
) -> None:
    """No BYPASSRLS of its own, SUPERUSER, a membership clause, or REPLICATION it lacks: not elevated."""
    with _as(server, db, user) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as err:
        conn.execute(sql.format(r=_fresh("x")))
    assert message in str(err.value)


def test_alter_role_never_reaches_a_superuser(server: LocalPostgres, db: str) -> None:
    with _as(server, db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("ALTER ROLE postgres NOBYPASSRLS")


def test_an_extension_backed_foreign_data_wrapper_as_quivr_creates_it(server: LocalPostgres, db: str) -> None:
    with _as(server, db) as conn:
        conn.execute("CREATE EXTENSION wrappers WITH SCHEMA public")
        conn.execute(
            "CREATE FOREIGN DATA WRAPPER stripe_wrapper HANDLER stripe_fdw_handler VALIDATOR stripe_fdw_validator"
        )
        conn.execute(
            "CREATE SERVER stripe_server FOREIGN DATA WRAPPER stripe_wrapper "
            "OPTIONS (api_key_id 'x', api_url 'https://api.stripe.com/v1')"
        )
        owner, usage = conn.execute(
            "select pg_get_userbyid(fdwowner), has_foreign_data_wrapper_privilege('stripe_wrapper', 'usage') "
            "from pg_foreign_data_wrapper where fdwname = 'stripe_wrapper'"
        ).fetchone() or (None, None)
    assert usage is True and owner != MIGRATOR  # a wrapper's owner must be a superuser; the caller gets USAGE


def test_a_wrapper_with_user_written_functions_is_not_elevated(server: LocalPostgres, db: str) -> None:
    """A validator of the caller's own would run as superuser: refused as PostgreSQL refuses it."""
    with _as(server, db) as conn:
        conn.execute("CREATE FUNCTION my_validator(text[], oid) RETURNS void LANGUAGE sql AS 'select'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied to create foreign-data"):
            conn.execute("CREATE FOREIGN DATA WRAPPER mine VALIDATOR my_validator")


# -- the creator's membership of the roles it creates (PostgreSQL 16's createrole_self_grant) -----
def _membership(conn: Conn, role: str, member: str) -> tuple[object, ...] | None:
    """(admin_option, grantor name) of ``member``'s direct membership of ``role``, or None."""
    return conn.execute(
        "select m.admin_option, pg_get_userbyid(m.grantor) from pg_auth_members m "
        "where m.roleid = to_regrole(%s) and m.member = to_regrole(%s)",
        (role, member),
    ).fetchone()


def test_the_creator_of_a_role_is_a_member_and_may_own_objects_as_it(server: LocalPostgres, db: str) -> None:
    """supabase/storage's history: CREATE USER supabase_storage_admin, then ALTER TABLE ... OWNER TO it."""
    role = _fresh("storage_admin")
    with _as(server, db) as conn:
        conn.execute(f"CREATE USER {role} NOINHERIT CREATEROLE LOGIN NOREPLICATION")
        assert _membership(conn, role, MIGRATOR) == (True, role)  # recorded with the new role as grantor
        conn.execute(f"GRANT ALL PRIVILEGES ON SCHEMA public TO {role}")  # a new owner needs CREATE there
        conn.execute("CREATE TABLE objects (id int)")
        conn.execute(f"ALTER TABLE objects OWNER TO {role}")
        conn.execute(f"SET ROLE {role}")
        assert conn.execute("select current_user").fetchone() == (role,)


def test_a_bypassrls_role_created_with_elevation_is_granted_to_its_creator_too(server: LocalPostgres, db: str) -> None:
    role = _fresh("service_role")
    with _as(server, db) as conn:
        conn.execute(f"CREATE ROLE {role} NOLOGIN NOINHERIT BYPASSRLS")
        assert _membership(conn, role, MIGRATOR) == (True, role)


def test_owner_to_a_role_the_caller_did_not_create_still_needs_membership(server: LocalPostgres, db: str) -> None:
    """As in PostgreSQL 15: only roles the caller created (or was granted) can own its objects."""
    role = _fresh("platform")
    with psycopg.connect(server.conninfo(dbname=db), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} NOLOGIN")
        admin.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
    with _as(server, db) as conn:
        conn.execute("CREATE TABLE t (id int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f'must be member of role "{role}"'):
            conn.execute(f"ALTER TABLE t OWNER TO {role}")
        assert _membership(conn, role, MIGRATOR) is None


def test_a_superuser_creating_a_role_gets_no_implicit_grant(server: LocalPostgres, db: str) -> None:
    role = _fresh("by_admin")
    with psycopg.connect(server.conninfo(dbname=db), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} NOLOGIN")
        assert admin.execute(
            "select count(*) from pg_auth_members where roleid = to_regrole(%s)", (role,)
        ).fetchone() == (0,)


def test_granting_the_creator_to_the_new_role_yields_the_implicit_grant(server: LocalPostgres, db: str) -> None:
    """storage's `CREATE USER authenticator; GRANT postgres TO authenticator`: PostgreSQL 15 (no
    implicit grant) runs it, so the implicit membership gives way and the explicit one is made;
    the creator then no longer owns objects as that role."""
    role = _fresh("authenticator")
    with _as(server, db) as conn:
        conn.execute(f"CREATE USER {role} NOINHERIT")
        conn.execute(f"GRANT {MIGRATOR} TO {role}")
        assert _membership(conn, role, MIGRATOR) is None
        assert _membership(conn, MIGRATOR, role) is not None
        conn.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
        conn.execute("CREATE TABLE t (id int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be member of role"):
            conn.execute(f"ALTER TABLE t OWNER TO {role}")


def test_an_explicit_membership_never_yields(server: LocalPostgres, db: str) -> None:
    """A membership a superuser granted (the bootstrap's postgres in authenticator) is not ours to
    revoke: the loop is reported as PostgreSQL reports it."""
    role = _fresh("granted")
    with psycopg.connect(server.conninfo(dbname=db), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} NOLOGIN")
        admin.execute(f"GRANT {role} TO {MIGRATOR}")
    with _as(server, db) as conn:
        with pytest.raises(psycopg.errors.InvalidGrantOperation, match=f'role "{MIGRATOR}" is a member of role'):
            conn.execute(f"GRANT {MIGRATOR} TO {role}")
        assert _membership(conn, role, MIGRATOR) is not None


@pytest.mark.parametrize("clause", ["IN ROLE {m}", "ROLE {m}", "ADMIN {m}"])
def test_no_implicit_grant_where_a_membership_already_exists(server: LocalPostgres, db: str, clause: str) -> None:
    """IN ROLE creator (a grant back would be a loop), ROLE / ADMIN creator (already a member)."""
    role = _fresh("r")
    with _as(server, db) as conn:
        conn.execute(f"CREATE ROLE {role} NOLOGIN " + clause.format(m=MIGRATOR))
        mine = _membership(conn, role, MIGRATOR)
        assert mine is None or mine[1] != role
