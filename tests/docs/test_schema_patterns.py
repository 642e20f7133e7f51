"""Every schema pattern in docs/patterns/ is lint-clean, applies on PostgreSQL with the Supabase
bootstrap, and does what its page says — proved by querying as the `authenticated` role with a JWT
in `request.jwt.claims`, as PostgREST does."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from migration_guard.dryrun.bootstrap import apply_bootstrap
from migration_guard.linter import lint
from migration_guard.migrations import load_migration
from migration_guard.model import LintOptions

PATTERNS = Path(__file__).resolve().parents[2] / "docs" / "patterns"
NAMES = sorted(p.stem for p in PATTERNS.glob("*.sql"))

A = "00000000-0000-0000-0000-0000000000a1"
B = "00000000-0000-0000-0000-0000000000b2"
C = "00000000-0000-0000-0000-0000000000c3"
ADMIN = "00000000-0000-0000-0000-0000000000ad"

Conn = psycopg.Connection[tuple[Any, ...]]


def test_every_pattern_has_a_page_and_a_template() -> None:
    assert set(NAMES) == {p.stem for p in PATTERNS.glob("*.md")} - {"README", "index"}
    assert len(NAMES) >= 7


@pytest.mark.parametrize("name", NAMES)
def test_page_shows_the_template_verbatim(name: str) -> None:
    page = (PATTERNS / f"{name}.md").read_text()
    sql = (PATTERNS / f"{name}.sql").read_text()
    assert f"```sql\n{sql}```" in page, f"docs/patterns/{name}.md must include {name}.sql verbatim"
    for heading in ("## When to use", "## Pitfalls"):
        assert heading in page


@pytest.mark.parametrize("name", NAMES)
def test_template_is_lint_clean(name: str, tmp_path: Path) -> None:
    # Copied under a migration file name, as `migration-guard new` would create it.
    target = tmp_path / "supabase" / "migrations" / f"20250101000000_{name.replace('-', '_')}.sql"
    target.parent.mkdir(parents=True)
    shutil.copy(PATTERNS / f"{name}.sql", target)
    result = lint([load_migration(target)], LintOptions(supabase=True))
    unsuppressed = [f"{f.rule}:{f.line} {f.message}" for f in result.findings if not f.suppressed]
    assert unsuppressed == []
    assert result.statements > 0


# -- applying on a real database ----------------------------------------------------------------


def _migrator_url(pg_url: str, role: str) -> str:
    return re.sub(r"^postgresql://[^@]*@", f"postgresql://{role}@", pg_url)


def apply_template(pg_url: str, name: str, before: str = "") -> Conn:
    """Bootstrap as superuser, then run ``before`` and the template as the (non-superuser) migration role."""
    with psycopg.connect(pg_url, autocommit=True) as su:
        role = apply_bootstrap(su)  # the session server's superuser is `postgres`: a stand-in role
        su.execute(
            "insert into auth.users (id, email) values (%s, 'a@example.com'), (%s, 'b@example.com'), "
            "(%s, 'c@example.com'), (%s, 'admin@example.com')",
            (A, B, C, ADMIN),
        )
    conn: Conn = psycopg.connect(_migrator_url(pg_url, role), autocommit=True)
    if before:
        conn.execute(before.encode())
    migration = load_migration(PATTERNS / f"{name}.sql")
    assert migration.error is None
    if migration.no_transaction:
        for st in migration.statements:
            conn.execute(st.sql.encode())
    else:
        with conn.transaction():
            conn.execute(migration.text.encode())
    return conn


@contextmanager
def as_user(conn: Conn, sub: str | None, **claims: Any) -> Iterator[Conn]:
    """One transaction as `authenticated` (or `anon` when sub is None), like a PostgREST request."""
    role = "authenticated" if sub else "anon"
    payload = {"role": role, **({"sub": sub} if sub else {}), **claims}
    with conn.transaction():
        conn.execute(f"set local role {role}")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(payload),))
        yield conn


def denied(conn: Conn, sub: str, query: str, params: tuple[Any, ...] = ()) -> bool:
    """True when RLS refuses the write (42501), inside its own savepoint."""
    try:
        with as_user(conn, sub):
            conn.execute(query.encode(), params)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def count(conn: Conn, sub: str | None, query: str, **claims: Any) -> int:
    with as_user(conn, sub, **claims):
        return len(conn.execute(query.encode()).fetchall())


# -- behaviour ------------------------------------------------------------------------------------


def test_rls_user_isolation(pg_url: str) -> None:
    conn = apply_template(pg_url, "rls-user-isolation")
    with as_user(conn, A):
        conn.execute("insert into public.notes (body) values ('a1'), ('a2')")  # user_id defaults to auth.uid()
    with as_user(conn, B):
        conn.execute("insert into public.notes (body) values ('b1')")
    assert count(conn, A, "select * from public.notes") == 2
    assert count(conn, B, "select * from public.notes") == 1
    assert count(conn, None, "select * from public.notes") == 0  # anon sees nothing
    # A cannot write B's rows: not insert as B, not update or delete them (0 rows touched).
    assert denied(conn, A, "insert into public.notes (user_id, body) values (%s, 'forged')", (B,))
    with as_user(conn, A):
        assert conn.execute("update public.notes set body = 'x' where body = 'b1'").rowcount == 0
        assert conn.execute("delete from public.notes where body = 'b1'").rowcount == 0
        # nor move their own note to B
    assert denied(conn, A, "update public.notes set user_id = %s where body = 'a1'", (B,))
    with as_user(conn, B):
        assert conn.execute("select body from public.notes").fetchall() == [("b1",)]
        assert conn.execute("update public.notes set body = 'b1!'").rowcount == 1


def test_admin_access(pg_url: str) -> None:
    conn = apply_template(pg_url, "admin-access")
    for user, title in ((A, "a doc"), (B, "b doc")):
        with as_user(conn, user):
            conn.execute("insert into public.documents (title) values (%s)", (title,))
    admin = {"app_metadata": {"role": "admin"}}
    assert count(conn, A, "select * from public.documents") == 1
    assert count(conn, ADMIN, "select * from public.documents", **admin) == 2
    # A user who puts role=admin in user_metadata (which users can edit) is not an admin.
    assert count(conn, C, "select * from public.documents", user_metadata={"role": "admin"}) == 0
    with as_user(conn, ADMIN, **admin):
        assert conn.execute("update public.documents set title = 'moderated' where title = 'b doc'").rowcount == 1
    with as_user(conn, A):
        assert conn.execute("update public.documents set title = 'hijack' where title = 'moderated'").rowcount == 0
        assert conn.execute("delete from public.documents where title = 'moderated'").rowcount == 0
    with as_user(conn, B):
        assert conn.execute("select title from public.documents").fetchall() == [("moderated",)]
    with as_user(conn, ADMIN, **admin):
        assert conn.execute("delete from public.documents").rowcount == 2


def test_team_membership(pg_url: str) -> None:
    conn = apply_template(pg_url, "team-membership")
    with as_user(conn, A):
        row = conn.execute("select public.create_team('Acme')").fetchone()
        assert row is not None
        team = row[0]
        conn.execute("insert into public.team_members (team_id, user_id) values (%s, %s)", (team, B))
        conn.execute("insert into public.projects (team_id, name) values (%s, 'Rocket')", (team,))
    with as_user(conn, C):
        other = conn.execute("select public.create_team('Other')").fetchone()
        assert other is not None
    # Members (owner A and member B) see the team's rows; outsider C does not.
    for member in (A, B):
        assert count(conn, member, "select * from public.projects") == 1
        assert count(conn, member, "select * from public.team_members") == 2
        assert count(conn, member, "select * from public.teams") == 1
    assert count(conn, C, "select * from public.projects") == 0
    assert count(conn, C, "select * from public.teams") == 1  # only their own team
    # C can neither add a project to Acme, join it, nor change its projects.
    assert denied(conn, C, "insert into public.projects (team_id, name) values (%s, 'spy')", (team,))
    assert denied(conn, C, "insert into public.team_members (team_id, user_id) values (%s, %s)", (team, C))
    with as_user(conn, C):
        assert conn.execute("update public.projects set name = 'x'").rowcount == 0
    # B is a member but not an owner: can work on projects, cannot add members.
    with as_user(conn, B):
        assert conn.execute("update public.projects set name = 'Rocket 2'").rowcount == 1
    assert denied(conn, B, "insert into public.team_members (team_id, user_id) values (%s, %s)", (team, C))
    # Once B leaves, B sees nothing of the team.
    with as_user(conn, B):
        assert conn.execute("delete from public.team_members where user_id = %s", (B,)).rowcount == 1
    assert count(conn, B, "select * from public.projects") == 0
    # anon cannot even call the membership helpers
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, None):
        conn.execute("select public.create_team('anon team')")


def test_foreign_keys_on_delete(pg_url: str) -> None:
    conn = apply_template(pg_url, "foreign-keys")
    conn.execute("insert into public.task_statuses (name) values ('todo'), ('done')")
    with as_user(conn, A):
        conn.execute("insert into public.projects (name) values ('p1')")
        conn.execute(
            "insert into public.tasks (project_id, assignee_id, status_id, title) "
            "select p.id, %s::uuid, s.id, 't1' from public.projects p, public.task_statuses s where s.name = 'todo'",
            (B,),
        )
        conn.execute(
            "insert into public.tasks (project_id, status_id, title) "
            "select p.id, s.id, 't2' from public.projects p, public.task_statuses s where s.name = 'done'"
        )
    # every foreign key column leads an index
    unindexed = conn.execute(
        """
        select c.conname from pg_constraint c where c.contype = 'f' and c.connamespace = 'public'::regnamespace
          and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])
        """
    ).fetchall()
    assert unindexed == []
    # B has no access to A's project or tasks
    assert count(conn, B, "select * from public.tasks") == 0
    # RESTRICT: a status in use cannot be deleted
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("delete from public.task_statuses where name = 'todo'")
    # SET NULL: deleting the assignee's account keeps the task, unassigned
    conn.execute("delete from auth.users where id = %s", (B,))
    assert conn.execute("select title, assignee_id from public.tasks order by title").fetchall() == [
        ("t1", None),
        ("t2", None),
    ]
    # CASCADE: deleting the project deletes its tasks; deleting the owner deletes their projects
    with as_user(conn, A):
        conn.execute("insert into public.projects (name) values ('p2')")
        assert conn.execute("delete from public.projects where name = 'p1'").rowcount == 1
        assert conn.execute("select count(*) from public.tasks").fetchone() == (0,)
    conn.execute("delete from auth.users where id = %s", (A,))
    assert conn.execute("select count(*) from public.projects").fetchone() == (0,)
    # now the status is unused and can go
    conn.execute("delete from public.task_statuses where name = 'todo'")


TODOS = """
create table public.todos (
  id bigint generated always as identity primary key,
  owner_id uuid not null references auth.users (id) on delete cascade,
  title text not null,
  done boolean not null default false,
  created_at timestamptz not null default now()
);
alter table public.todos enable row level security;
insert into public.todos (owner_id, title, done, created_at)
select case when g % 2 = 0 then '00000000-0000-0000-0000-0000000000a1'::uuid
            else '00000000-0000-0000-0000-0000000000b2'::uuid end,
       'todo ' || g, g % 10 <> 0, now() - g * interval '1 minute'
from generate_series(1, 5000) g;
analyze public.todos;
"""


def test_indexes_concurrently_on_existing_table(pg_url: str) -> None:
    conn = apply_template(pg_url, "indexes", before=TODOS)
    indexes = conn.execute(
        "select c.relname, i.indisvalid, pg_get_expr(i.indpred, i.indrelid) from pg_index i "
        "join pg_class c on c.oid = i.indexrelid where i.indrelid = 'public.todos'::regclass and not i.indisprimary "
        "order by 1"
    ).fetchall()
    assert indexes == [("todos_owner_id_idx", True, None), ("todos_owner_open_idx", True, "(done = false)")]
    # The partial index serves the app's query, and holds only open todos.
    with conn.transaction():
        conn.execute("set local enable_seqscan = off")
        plan = conn.execute(
            "explain select id from public.todos where owner_id = %s and done = false order by created_at desc",
            (A,),
        ).fetchall()
    assert "todos_owner_open_idx" in "\n".join(r[0] for r in plan)
    sizes = conn.execute(
        "select pg_relation_size('public.todos_owner_open_idx'), pg_relation_size('public.todos_owner_id_idx')"
    ).fetchone()
    assert sizes is not None and sizes[0] < sizes[1]
    # Re-running the file is harmless (IF NOT EXISTS).
    for st in load_migration(PATTERNS / "indexes.sql").statements:
        conn.execute(st.sql.encode())


def test_timestamps_trigger(pg_url: str) -> None:
    conn = apply_template(pg_url, "timestamps")
    with as_user(conn, A):
        conn.execute("insert into public.articles (title) values ('draft')")
    before = conn.execute("select created_at, updated_at from public.articles").fetchone()
    assert before is not None and before[0] == before[1]
    with as_user(conn, A):
        # a client cannot forge updated_at: the trigger overwrites it
        conn.execute("update public.articles set title = 'final', updated_at = '2000-01-01'")
    after = conn.execute("select created_at, updated_at, title from public.articles").fetchone()
    assert after is not None and after[2] == "final"
    assert after[0] == before[0]  # created_at unchanged
    assert after[1] > before[1]  # updated_at moved forward
    assert count(conn, B, "select * from public.articles") == 0


def test_soft_deletes(pg_url: str) -> None:
    conn = apply_template(pg_url, "soft-deletes")
    with as_user(conn, A):
        conn.execute("insert into public.posts (title) values ('keep'), ('old')")
        old = conn.execute("select id from public.posts where title = 'old'").fetchone()
        assert old is not None
        assert conn.execute("select public.archive_post(%s)", (old[0],)).fetchone() == (True,)
    # The archived row disappears from everything users see; the row is still in the table.
    assert count(conn, A, "select * from public.posts") == 1
    assert conn.execute("select title from public.posts where archived_at is not null").fetchall() == [("old",)]
    with as_user(conn, A):
        # archived rows can no longer be changed, and nobody deletes
        assert conn.execute("update public.posts set title = 'revived' where title = 'old'").rowcount == 0
        assert conn.execute("delete from public.posts").rowcount == 0
        assert conn.execute("update public.posts set title = 'kept' where title = 'keep'").rowcount == 1
    # A plain UPDATE cannot archive (the new row fails the SELECT policy): the page's pitfall.
    assert denied(conn, A, "update public.posts set archived_at = now() where title = 'kept'")
    # B cannot archive A's posts, nor insert archived rows
    keep = conn.execute("select id from public.posts where title = 'kept'").fetchone()
    assert keep is not None
    with as_user(conn, B):
        assert conn.execute("select public.archive_post(%s)", (keep[0],)).fetchone() == (False,)
    assert count(conn, A, "select * from public.posts") == 1
    assert denied(conn, B, "insert into public.posts (title, archived_at) values ('x', now())")
    assert conn.execute("select count(*) from public.posts").fetchone() == (2,)
    # anon cannot call the function
    with pytest.raises(psycopg.errors.InsufficientPrivilege), as_user(conn, None):
        conn.execute("select public.archive_post(%s)", (keep[0],))
    # The partial index serves live-row queries.
    with conn.transaction():
        conn.execute("set local enable_seqscan = off")
        plan = conn.execute(
            "explain select id from public.posts where user_id = %s and archived_at is null order by created_at desc",
            (A,),
        ).fetchall()
    assert "posts_live_user_created_idx" in "\n".join(r[0] for r in plan)
