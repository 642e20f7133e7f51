"""platform_conflicts.conflict: which errors are a history clashing with the Supabase platform.

Pure function on the server's error; the corpus tests (test_corpus_replay.py) show the same hints
on real histories through the CLI."""

from __future__ import annotations

from migration_guard.dryrun.platform_conflicts import conflict
from migration_guard.plan_model import StatementError


def _error(sqlstate: str, message: str) -> StatementError:
    return StatementError(line=1, column=1, sqlstate=sqlstate, message=message)


def test_a_membership_loop_on_a_platform_role_is_named_as_the_conflict() -> None:
    hint = conflict(_error("0LP01", 'role "postgres" is a member of role "authenticator"'), supabase=True)
    assert hint is not None and "`postgres` is already a member of `authenticator`" in hint
    assert "--supabase off" in hint


def test_a_loop_between_the_projects_own_roles_is_its_own_error() -> None:
    assert conflict(_error("0LP01", 'role "app_a" is a member of role "app_b"'), supabase=True) is None


def test_no_platform_hint_without_the_supabase_bootstrap() -> None:
    assert conflict(_error("0LP01", 'role "postgres" is a member of role "authenticator"'), supabase=False) is None
    assert conflict(_error("42710", 'role "authenticated" already exists'), supabase=False) is None
