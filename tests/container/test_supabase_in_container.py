"""Supabase fidelity in the real image: real projects' histories (../shared/corpus) as the PR check
replays them inside the action's container, run the way the runner runs it (see conftest.py).

Each project is a git repository in the workspace (owned by uid 1001): its whole history on `main`,
and a pull request that changes the last migration or adds one. The check must replay every file on
the image's own server (the private install tree with Supabase's roles, the Debian extensions and our
stand-ins: mg_vector for `vector`, SQL stand-ins for http, pg_net, pgmq, wrappers, ...), name the
stand-ins it used in the sticky PR comment, and conclude from the findings alone: the plan ran, no
infrastructure failure, no refusal.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from container.conftest import ActionRun, ActionRunner, docker, root_owned
from container.test_action_in_container import REPO, audit_records, commit, git, github, pr_event, runner, write
from fake_github import FakeGitHub
from migration_guard.dryrun.plan import SUPABASE_IMAGES

__all__ = ["github", "runner"]  # fixtures shared with test_action_in_container.py

PR = 7
MIGRATIONS = "supabase/migrations"
STAND_INS = re.compile(r"dry run used stand-ins for: ([a-z0-9_, ]+):")

# chatbot-ui: the PR edits its last migration, adding a pgvector column and an ivfflat index built
# without CONCURRENTLY on an existing table: a blocking finding at line 4 (and one at line 1, the
# inline CHECK the file already had), while the dry run itself succeeds on mg_vector.
CHATBOT_CHANGE = """
ALTER TABLE file_items ADD COLUMN groq_embedding vector(768);
CREATE INDEX file_items_groq_idx ON file_items USING ivfflat (groq_embedding vector_l2_ops) WITH (lists = 100);
"""
NEW_MIGRATION = "-- intent: describe the schema for the dashboard\ncomment on schema public is 'the app';\n"


def corpus_repo(ws: Path, project: Path, major: int) -> str:
    """The project's migrations under supabase/migrations (its seed next to them) and a config.toml
    as `supabase init` writes it (the parts the check reads), committed on main."""
    folder = ws / MIGRATIONS
    folder.mkdir(parents=True)
    for sql in sorted(project.glob("*.sql")):
        shutil.copyfile(sql, (ws / "supabase" / "seed.sql") if sql.name == "seed.sql" else folder / sql.name)
    config = f'[api]\nschemas = ["public", "graphql_public"]\n\n[db]\nport = 54322\nmajor_version = {major}\n'
    write(ws, {"supabase/config.toml": config})
    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-q", "-m", "history")
    return git(ws, "rev-parse", "HEAD")


def listed_stand_ins(text: str) -> set[str]:
    found = STAND_INS.search(text.replace("\\_", "_"))  # markdown escapes underscores
    assert found, text[:3000]
    return {name.strip() for name in found.group(1).split(",")}


@pytest.mark.parametrize(
    ("project", "major", "files", "stand_ins", "change"),
    [
        # http + vector (mg_vector's type, operators and hnsw/ivfflat access methods)
        ("mckaywrigley__chatbot-ui", 15, 25, {"http", "vector"}, "edit-last"),
        # pgmq, pg_net and pg_cron's stand-ins (pg_cron: Debian's 1.4 rejects pgflow's second schedules).
        # A recent project: PostgreSQL 17, which the image's server is not (see below).
        ("pgflow-dev__pgflow", 17, 20, {"pgmq", "pg_net", "pg_cron"}, "add"),
        # vector and the Stripe FDW of wrappers; 69 files of `supabase db diff` dumps (grants galore)
        ("QuivrHQ__quivr", 15, 69, {"vector", "wrappers"}, "add"),
    ],
)
def test_a_real_supabase_history_replays_in_the_image_with_its_stand_ins_named(
    runner: ActionRunner, github: FakeGitHub, corpus: Path, project: str, major: int, files: int,
    stand_ins: set[str], change: str,
) -> None:
    if major != 15 and docker("image", "inspect", SUPABASE_IMAGES[major], check=False).returncode == 0:
        pytest.skip(f"this engine has {SUPABASE_IMAGES[major]}: the check would use it, not the image's server")
    ws = runner.workspace
    base = corpus_repo(ws, corpus / project, major)
    history = sorted((ws / MIGRATIONS).glob("*.sql"))
    assert len(history) == files
    git(ws, "checkout", "-q", "-b", "feature")
    if change == "edit-last":
        last = history[-1]
        changed = f"{MIGRATIONS}/{last.name}"
        head = commit(ws, {changed: last.read_text() + CHATBOT_CHANGE}, "groq embeddings")
        expected = files
    else:
        changed = f"{MIGRATIONS}/20990101000000_dashboard.sql"
        head = commit(ws, {changed: NEW_MIGRATION}, "dashboard comment")
        expected = files + 1
    github.add_pull(REPO, PR, head_sha=head, base_sha=base)

    run = runner.run({}, "pull_request", pr_event(base, head), head, f"refs/pull/{PR}/merge")
    assert isinstance(run, ActionRun)
    assert "Traceback" not in run.text and "dubious ownership" not in run.text, run.text[-3000:]

    # Every migration replayed on the image's server: an infrastructure failure would show here.
    report = json.loads((ws / run.outputs["report-file"]).read_text())
    assert report["refused"] is None and report["plan_error"] is None, (report["refused"], report["plan_error"])
    plan = report["plan"]
    assert plan["ok"] is True and plan["postgres"]["provider"] == "local"
    failed = [m for m in plan["migrations"] if m["status"] != "applied"]
    assert not failed, failed[:1]
    assert len(plan["migrations"]) == expected
    # Only the PR's file is new (Quivr's unversioned local_..._ollama.sql sorts after it, as in plan).
    assert [m["path"] for m in plan["migrations"] if m["new"]] == [changed]
    assert report["changed"] == [changed]

    # The stand-ins are named in the JSON report, the sticky PR comment and the step summary.
    assert listed_stand_ins("\n".join(plan["warnings"])) == stand_ins
    [comment] = github.comments(REPO, PR)
    body = str(comment["body"])
    assert listed_stand_ins(body) == stand_ins
    assert listed_stand_ins(run.summary) == stand_ins
    assert run.outputs["comment-url"].endswith(f"#issuecomment-{comment['id']}")

    # The project's major: on 15, the image's server is the match; on 17, Supabase's image of 17 is
    # preferred but not on the engine (the check never pulls it), which a readable warning says, and
    # the comment says which major ran.
    others = [w for w in plan["warnings"] if not STAND_INS.search(w)]
    if major == 15:
        assert others == [] and report["plan"]["version_note"] is None
    else:
        image = SUPABASE_IMAGES[major]
        assert others == [
            f"could not start {image} for the project's PostgreSQL major ({image} is not on this Docker engine; "
            f"the dry run does not pull images (`docker pull {image}` first)); the dry run used the default "
            "server instead"
        ]
        note = f"PostgreSQL 15 ran this dry run, but the project runs PostgreSQL {major}"
        assert plan["version_note"].startswith(note)
        assert note in body and image in body.replace("\\_", "_")

    # The conclusion is the findings' (fail-on: error): exit code, outputs, comment and audit agree.
    assert run.outputs["blocking-count"] == str(report["blocking_count"])
    errors = {(f["rule"], f["line"]) for f in report["findings"] if f["severity"] == "error" and not f["suppressed"]}
    if change == "edit-last":
        assert run.returncode == 1, run.text[-3000:]
        assert run.outputs["verdict"] == "fail"
        assert ("index-not-concurrent", 4) in errors and report["blocking_count"] >= 1
        assert f"::error file={changed},line=4" in run.stdout
        assert "index-not-concurrent" in body and f"{last.name}:4" in body.replace("\\_", "_")
    else:
        assert run.returncode == 0, run.text[-3000:]
        assert run.outputs["verdict"] == "pass" and report["blocking_count"] == 0 and not errors
        assert "all clear" in body
    [record] = audit_records(ws, run.outputs)
    assert record["event"] == "check" and record["verdict"] == run.outputs["verdict"]
    assert record["changed"] == [changed]
    assert root_owned(*run.mounted) == []
