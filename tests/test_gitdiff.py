from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from migration_guard.errors import UserError
from migration_guard.gitdiff import changed_files, files_at


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.com")
    git(tmp_path, "config", "user.name", "t")
    mig = tmp_path / "supabase" / "migrations"
    mig.mkdir(parents=True)
    (mig / "20240101000000_a.sql").write_text("create table a (id bigint primary key);\n")
    (tmp_path / "README").write_text("x\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    return tmp_path


def test_changed_files_lists_added_modified_and_untracked_migrations_only(repo: Path) -> None:
    mig = repo / "supabase" / "migrations"
    git(repo, "checkout", "-qb", "feature")
    (mig / "20240102000000_b.sql").write_text("create table b (id bigint primary key);\n")
    (repo / "README").write_text("changed\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "b")
    (mig / "20240103000000_c.sql").write_text("select 1;\n")  # untracked, not committed
    head = git(repo, "rev-parse", "HEAD").strip()
    assert [p.name for p in changed_files(mig, "main")] == ["20240102000000_b.sql", "20240103000000_c.sql"]
    assert [p.name for p in changed_files(mig, "main", head)] == ["20240102000000_b.sql"]
    assert files_at(mig, "main") == ["20240101000000_a.sql"]


def test_unknown_ref_is_one_clear_error(repo: Path) -> None:
    with pytest.raises(UserError, match="unknown git ref 'nope'"):
        changed_files(repo / "supabase" / "migrations", "nope")


# --- a checkout owned by another user (a Docker action: root in the container, uid 1001 owns it) ---


def test_every_git_call_works_on_a_checkout_owned_by_another_user(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from migration_guard.commands.action import ensure_commits
    from migration_guard.gitdiff import repo_root, verify_ref

    mig = repo / "supabase" / "migrations"
    git(repo, "checkout", "-qb", "feature")
    (mig / "20240102000000_b.sql").write_text("select 1;\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "b")
    base, head = git(repo, "rev-parse", "main").strip(), git(repo, "rev-parse", "HEAD").strip()
    # A shallow clone (as actions/checkout makes) so ensure_commits has to fetch the base.
    clone = tmp_path_factory.mktemp("clone") / "ws"
    git(repo.parent, "clone", "-q", "--depth=1", "--branch=feature", f"file://{repo}", str(clone))

    # git's own switch for "the folder belongs to someone else": every command refuses unless trusted.
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    # The remote's side of the fetch (upload-pack in `repo`, GitHub in real life) trusts its own
    # repository; our side gets no such help: only the global config of a private HOME names `repo`.
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text(f"[safe]\n\tdirectory = {repo}/.git\n\tdirectory = {repo}\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    untrusted = subprocess.run(["git", "status"], cwd=clone, capture_output=True, text=True, check=False)
    assert untrusted.returncode != 0 and "dubious ownership" in untrusted.stderr

    ensure_commits(clone, base, head)  # rev-parse, cat-file, fetch (the base is not in the shallow clone), merge-base
    ws_mig = clone / "supabase" / "migrations"
    assert repo_root(ws_mig) == clone
    assert verify_ref(clone, base) == base
    assert [p.name for p in changed_files(ws_mig, base, head)] == ["20240102000000_b.sql"]
    (ws_mig / "20240103000000_c.sql").write_text("select 2;\n")  # untracked: ls-files
    assert [p.name for p in changed_files(ws_mig, base)] == ["20240102000000_b.sql", "20240103000000_c.sql"]
    assert files_at(ws_mig, base) == ["20240101000000_a.sql"]


def test_git_errors_never_pass_on_gits_config_advice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    with pytest.raises(UserError) as err:
        changed_files(tmp_path, "main")  # not a repository at all
    assert "not a git repository" in err.value.message
    assert "safe.directory" not in err.value.message and "git config" not in err.value.message


def test_every_git_command_in_the_package_goes_through_git_argv() -> None:
    """An argv starting with "git" anywhere but gitdiff.git_argv would skip the ownership trust."""
    import ast

    import migration_guard

    package = Path(migration_guard.__file__).parent
    offenders = []
    for source in sorted(package.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        allowed: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name == "git_argv" and source.name == "gitdiff.py":
                allowed |= {id(n) for n in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.List, ast.Tuple)) and node.elts and id(node) not in allowed:
                first = node.elts[0]
                if isinstance(first, ast.Constant) and first.value == "git":
                    offenders.append(f"{source.relative_to(package)}:{node.lineno}")
    assert offenders == []
