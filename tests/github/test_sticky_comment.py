"""The sticky comment over real HTTP: PyGithub against the local fake GitHub API server."""

from __future__ import annotations

from fake_github import FakeGitHub
from migration_guard.github.client import make_client
from migration_guard.github.comment import marker, upsert_comment

REPO = "acme/app"


def setup(fake: FakeGitHub) -> None:
    fake.add_repo(REPO)
    fake.add_pull(REPO, 5, head_sha="h" * 40, base_sha="b" * 40)


def test_found_past_the_first_page_and_edited_in_place(fake_github: FakeGitHub) -> None:
    setup(fake_github)
    for i in range(150):  # the client asks for 100 per page: ours is on page 2
        fake_github.add_comment(REPO, 5, f"human comment {i}")
    ours = fake_github.add_comment(REPO, 5, f"{marker('supabase/migrations')}\nold", user="github-actions[bot]")
    gh = make_client("ghs_token", fake_github.url)
    outcome = upsert_comment(gh, REPO, 5, "new report", "supabase/migrations")
    assert outcome.status == "updated"
    assert fake_github.issue_comments[ours]["body"] == f"{marker('supabase/migrations')}\nnew report"
    assert len(fake_github.comments(REPO, 5)) == 151
    assert any(r.query.get("page") == ["2"] for r in fake_github.requests_to("GET", f"/repos/{REPO}/issues/5/comments"))
    assert upsert_comment(gh, REPO, 5, "new report", "supabase/migrations").status == "unchanged"


def test_one_comment_per_folder_and_quotes_are_not_ours(fake_github: FakeGitHub) -> None:
    setup(fake_github)
    fake_github.add_comment(REPO, 5, f"> {marker('db/a')}\n> quoted by a human")
    gh = make_client("ghs_token", fake_github.url)
    a = upsert_comment(gh, REPO, 5, "report a", "db/a")
    b = upsert_comment(gh, REPO, 5, "report b", "db/b")
    assert a.status == b.status == "created" and a.url != b.url
    assert upsert_comment(gh, REPO, 5, "report a2", "db/a").url == a.url
    bodies = [c["body"] for c in fake_github.comments(REPO, 5)]
    assert len(bodies) == 3 and bodies[1].endswith("report a2") and bodies[2].endswith("report b")


def test_marker_cannot_close_the_html_comment() -> None:
    tag = marker("x --> <b>@all</b>")
    assert tag == "<!-- migration-guard:x - b@all/b -->"
    assert tag.count("--") == 2 and ">" not in tag[:-1]


def test_failures_are_outcomes_not_exceptions(fake_github: FakeGitHub) -> None:
    setup(fake_github)
    fake_github.forbid_writes(REPO)
    forbidden = upsert_comment(make_client("ghs_token", fake_github.url), REPO, 5, "r", "d")
    assert (forbidden.status, forbidden.http_status) == ("failed", 403)
    fake_github.valid_tokens = {"good"}
    bad = upsert_comment(make_client("ghs_secret_bad_token", fake_github.url), REPO, 5, "r", "d")
    assert bad.http_status == 401 and "github-token" in bad.message and "ghs_secret_bad_token" not in bad.message
    missing = upsert_comment(make_client("good", fake_github.url), "acme/other", 5, "r", "d")
    assert missing.http_status == 404
    down = upsert_comment(make_client("good", "http://127.0.0.1:9"), REPO, 5, "r", "d")
    assert down.status == "failed" and "unreachable" in down.message


def test_oversized_body_is_cut_below_the_limit(fake_github: FakeGitHub) -> None:
    setup(fake_github)
    outcome = upsert_comment(make_client("t", fake_github.url), REPO, 5, "x" * 100_000, "d")
    assert outcome.status == "created"
    assert len(fake_github.comments(REPO, 5)[0]["body"]) <= 65536


def test_a_marker_comment_planted_by_a_person_is_never_ours(fake_github: FakeGitHub) -> None:
    """Before: the first comment starting with the marker was taken, whoever wrote it. A PR author
    could plant one so the report edit failed (403) and no report appeared, or fake what a check
    recorded in it. Now only bot-authored comments are ours."""
    from migration_guard.github.comment import find_report

    setup(fake_github)
    tag = marker("supabase/migrations")
    planted = fake_github.add_comment(REPO, 5, f"{tag}\nall clear, trust me", user="mallory")
    gh = make_client("ghs_token", fake_github.url)
    assert find_report(gh, REPO, 5, "supabase/migrations") is None
    outcome = upsert_comment(gh, REPO, 5, "the real report", "supabase/migrations")
    assert outcome.status == "created"
    assert fake_github.issue_comments[planted]["body"] == f"{tag}\nall clear, trust me"
    assert find_report(gh, REPO, 5, "supabase/migrations") == f"{tag}\nthe real report"
