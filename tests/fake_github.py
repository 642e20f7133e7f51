"""A local fake of the GitHub REST API, for tests that run the real PyGithub over real HTTP.

Start it, point ``GITHUB_API_URL`` (or ``Github(base_url=...)``) at ``fake.url``, configure what the
repository looks like, run the code under test, then inspect the store::

    with FakeGitHub() as gh:
        gh.add_repo("acme/app")
        gh.add_pull("acme/app", 7, head_sha="abc…", base_sha="def…", head_repo="someone/app")  # a fork PR
        gh.link_commit("acme/app", "abc…", 7)            # GET /repos/acme/app/commits/abc…/pulls → [#7]
        gh.add_review("acme/app", 7, "alice", "APPROVED")  # user_type="Bot" for bots; commit_id=,
                                                           # author_association= (default MEMBER)
        gh.set_permission("acme/app", "bob", "read")      # GET …/collaborators/bob/permission
        gh.set_environment("acme/app", "production", required_reviewers=["alice"])
        gh.forbid_writes("acme/app")                      # POST/PATCH answer 403 (a fork PR's token)
        gh.valid_tokens = {"ghs_good"}                    # any other token → 401 Bad credentials
        ... run the code ...
        gh.comments("acme/app", 7)                        # the issue comments, oldest first
        gh.requests                                       # every request: method, path, query, headers, body

Endpoints (enough for PyGithub's calls made by migration-guard):
  GET   /repos/{o}/{r}
  GET   /repos/{o}/{r}/pulls/{n}           GET /repos/{o}/{r}/issues/{n}
  GET   /repos/{o}/{r}/issues/{n}/comments (paginated: per_page, page, Link header)
  POST  /repos/{o}/{r}/issues/{n}/comments
  PATCH /repos/{o}/{r}/issues/comments/{id}
  GET   /repos/{o}/{r}/commits/{sha}/pulls (PRs whose head or merge commit is sha)
  GET   /repos/{o}/{r}/pulls/{n}/reviews   (paginated)
  GET   /repos/{o}/{r}/environments/{name} (protection_rules with required_reviewers / wait_timer;
                                           required_reviewers=[] gives a rule with no reviewers)
  GET   /repos/{o}/{r}/collaborators/{user}/permission (permission and role_name; 404 if never set)
  POST  /repos/{o}/{r}/commits/{sha}/comments
  GET   /user                              (the token's user; 403 for app installation tokens)
Anything else answers 404 like GitHub does. Unknown repositories answer 404.

Other test folders: pytest puts tests/ on sys.path (tests/conftest.py has no package), so a conftest
can do ``from fake_github import FakeGitHub, fake_github, fake_github_server`` and either re-export
the ``fake_github`` fixture or build its own with the ``fake_github_server()`` context manager.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

__all__ = ["FakeGitHub", "Recorded", "fake_github", "fake_github_server"]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**8, "type": kind, "site_admin": False}


@dataclass
class _Pull:
    number: int
    head_sha: str
    base_sha: str
    head_repo: str | None
    head_ref: str
    base_ref: str
    merged: bool
    merge_commit_sha: str | None
    user: str
    title: str
    state: str


@dataclass
class FakeGitHub:
    """The in-memory store plus the HTTP server. All public methods are thread-safe enough for tests."""

    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[tuple[str, int], _Pull] = field(default_factory=dict)
    issue_comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → comment (+ "_repo", "_issue")
    reviews: dict[tuple[str, int], list[dict[str, Any]]] = field(default_factory=dict)
    environments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    commit_comments_store: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    valid_tokens: set[str] | None = None  # None: any token (or none) is accepted
    token_user: str = "github-actions[bot]"
    read_only_repos: set[str] = field(default_factory=set)
    permissions: dict[tuple[str, str], str] = field(default_factory=dict)  # (repo, user) → permission
    default_per_page: int = 30
    _next_id: int = 1000
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- configuration -----------------------------------------------------------------------------
    def add_repo(self, full_name: str, private: bool = False, default_branch: str = "main") -> None:
        owner, name = full_name.split("/", 1)
        self.repos[full_name] = {
            "id": len(self.repos) + 1,
            "name": name,
            "full_name": full_name,
            "owner": _user(owner, "Organization"),
            "private": private,
            "fork": False,
            "default_branch": default_branch,
        }

    def add_pull(
        self,
        repo: str,
        number: int,
        head_sha: str,
        base_sha: str,
        head_repo: str | None = None,
        head_ref: str = "feature",
        base_ref: str = "main",
        merged: bool = False,
        merge_commit_sha: str | None = None,
        user: str = "octocat",
        title: str = "A change",
    ) -> None:
        self.pulls[(repo, number)] = _Pull(
            number, head_sha, base_sha, head_repo or repo, head_ref, base_ref, merged, merge_commit_sha, user,
            title, "closed" if merged else "open",
        )

    def add_review(
        self,
        repo: str,
        number: int,
        user: str,
        state: str,
        user_type: str = "User",
        commit_id: str | None = None,
        author_association: str = "MEMBER",
    ) -> None:
        """A review (oldest first, as GitHub lists them); ``commit_id`` defaults to the PR's head."""
        with self._lock:
            self._next_id += 1
            rid = self._next_id
        head = self.pulls[(repo, number)].head_sha if (repo, number) in self.pulls else None
        self.reviews.setdefault((repo, number), []).append(
            {"id": rid, "user": _user(user, user_type), "state": state, "body": "", "submitted_at": _now(),
             "commit_id": commit_id or head, "author_association": author_association}
        )

    def set_permission(self, repo: str, user: str, permission: str) -> None:
        """GET /repos/{repo}/collaborators/{user}/permission answers ``permission`` (admin, maintain,
        write, triage, read, none); users never set answer 404 (not a collaborator)."""
        self.permissions[(repo, user)] = permission

    def link_commit(self, repo: str, sha: str, number: int) -> None:
        self.commit_pulls.setdefault((repo, sha), []).append(number)

    def set_environment(
        self,
        repo: str,
        name: str,
        required_reviewers: list[str] | None = None,
        wait_timer: int = 0,
        branch_policy: bool = False,
    ) -> None:
        rules: list[dict[str, Any]] = []
        if required_reviewers is not None:  # [] is a rule with nobody in it
            rules.append({
                "id": 1, "node_id": "r1", "type": "required_reviewers", "prevent_self_review": False,
                "reviewers": [{"type": "User", "reviewer": _user(u)} for u in required_reviewers],
            })
        if wait_timer:
            rules.append({"id": 2, "node_id": "r2", "type": "wait_timer", "wait_timer": wait_timer})
        if branch_policy:
            rules.append({"id": 3, "node_id": "r3", "type": "branch_policy"})
        self.environments[(repo, name)] = {"name": name, "protection_rules": rules}

    def forbid_writes(self, repo: str) -> None:
        """POST/PATCH on this repository answer 403, as with a fork pull request's read-only token."""
        self.read_only_repos.add(repo)

    def add_comment(self, repo: str, number: int, body: str, user: str = "someone", user_type: str = "User") -> int:
        """Seed an existing comment (e.g. from a human, or pages of them to test pagination)."""
        return self._store_comment(repo, number, body, _user(user, user_type))

    # --- inspection --------------------------------------------------------------------------------
    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        return [c for c in self.issue_comments.values() if c["_repo"] == repo and c["_issue"] == number]

    def commit_comments(self, repo: str, sha: str) -> list[dict[str, Any]]:
        return list(self.commit_comments_store.get((repo, sha), []))

    def requests_to(self, method: str, path_prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # --- JSON shapes -------------------------------------------------------------------------------
    def _repo_json(self, full_name: str) -> dict[str, Any]:
        data = dict(self.repos[full_name])
        data["url"] = f"{self.url}/repos/{full_name}"
        data["html_url"] = f"https://github.example/{full_name}"
        return data

    def _pull_json(self, repo: str, p: _Pull) -> dict[str, Any]:
        base = f"{self.url}/repos/{repo}"
        head_repo = (
            self._repo_json(p.head_repo) if p.head_repo in self.repos
            else {"full_name": p.head_repo, "name": p.head_repo.split("/")[-1],
                  "owner": _user(p.head_repo.split("/")[0]), "url": f"{self.url}/repos/{p.head_repo}",
                  "fork": True, "private": False}
        )
        return {
            "id": p.number * 10, "number": p.number, "state": p.state, "title": p.title,
            "url": f"{base}/pulls/{p.number}", "issue_url": f"{base}/issues/{p.number}",
            "html_url": f"https://github.example/{repo}/pull/{p.number}",
            "user": _user(p.user), "merged": p.merged, "merge_commit_sha": p.merge_commit_sha,
            "merged_at": _now() if p.merged else None,
            "head": {"sha": p.head_sha, "ref": p.head_ref, "label": f"x:{p.head_ref}", "repo": head_repo},
            "base": {"sha": p.base_sha, "ref": p.base_ref, "label": f"x:{p.base_ref}", "repo": self._repo_json(repo)},
        }

    def _comment_json(self, c: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in c.items() if not k.startswith("_")} | {
            "url": f"{self.url}/repos/{c['_repo']}/issues/comments/{c['id']}",
            "issue_url": f"{self.url}/repos/{c['_repo']}/issues/{c['_issue']}",
        }

    def _store_comment(self, repo: str, number: int, body: str, user: dict[str, Any]) -> int:
        with self._lock:
            self._next_id += 1
            cid = self._next_id
            self.issue_comments[cid] = {
                "id": cid, "body": body, "user": user, "created_at": _now(), "updated_at": _now(),
                "html_url": f"https://github.example/{repo}/pull/{number}#issuecomment-{cid}",
                "_repo": repo, "_issue": number,
            }
        return cid


def _make_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"message": message, "documentation_url": "https://docs.github.com/rest",
                                "status": str(status)})

        def _page(self, items: list[Any], query: dict[str, list[str]], path: str) -> None:
            per_page = int(query.get("per_page", [fake.default_per_page])[0])
            page = int(query.get("page", ["1"])[0])
            chunk = items[(page - 1) * per_page: page * per_page]
            last = max(1, -(-len(items) // per_page))
            links = []
            if page < last:
                links.append(f'<{fake.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
                links.append(f'<{fake.url}{path}?per_page={per_page}&page={last}>; rel="last"')
            if page > 1:
                links.append(f'<{fake.url}{path}?per_page={per_page}&page={page - 1}>; rel="prev"')
                links.append(f'<{fake.url}{path}?per_page={per_page}&page=1>; rel="first"')
            self._send(200, chunk, {"Link": ", ".join(links)} if links else None)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path, query = unquote(parts.path), parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode(errors="replace")
            fake.requests.append(Recorded(method, path, query, dict(self.headers.items()), body))

            auth = self.headers.get("Authorization", "")
            token = auth.split(" ", 1)[1] if " " in auth else ""
            if fake.valid_tokens is not None and token not in fake.valid_tokens:
                self._error(401, "Bad credentials")
                return
            try:
                self._route(method, path, query, body)
            except Exception as exc:  # a bug in the fake must show up in the test, not hang it
                self._error(500, f"fake github error: {exc!r}")

        def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> None:
            seg = [s for s in path.split("/") if s]
            if seg == ["user"]:
                self._send(200, _user(fake.token_user, "Bot"))
                return
            if len(seg) < 3 or seg[0] != "repos":
                self._error(404, "Not Found")
                return
            repo = f"{seg[1]}/{seg[2]}"
            rest = seg[3:]
            if repo not in fake.repos:
                self._error(404, "Not Found")
                return
            if method in ("POST", "PATCH", "PUT", "DELETE") and repo in fake.read_only_repos:
                self._error(403, "Resource not accessible by integration")
                return
            if method == "GET" and not rest:
                self._send(200, fake._repo_json(repo))
            elif method == "GET" and len(rest) == 2 and rest[0] in ("pulls", "issues") and rest[1].isdigit():
                pull = fake.pulls.get((repo, int(rest[1])))
                if not pull:
                    self._error(404, "Not Found")
                else:
                    self._send(200, fake._pull_json(repo, pull))
            elif len(rest) == 3 and rest[0] == "issues" and rest[1].isdigit() and rest[2] == "comments":
                number = int(rest[1])
                if method == "GET":
                    items = sorted(fake.comments(repo, number), key=lambda c: c["id"])
                    self._page([fake._comment_json(c) for c in items], query, path)
                elif method == "POST":
                    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                        self._error(422, "Validation Failed")
                        return
                    if len(body["body"]) > 65536:
                        self._error(422, "Validation Failed: body is too long (maximum is 65536 characters)")
                        return
                    cid = fake._store_comment(repo, number, body["body"], _user(fake.token_user, "Bot"))
                    self._send(201, fake._comment_json(fake.issue_comments[cid]))
                else:
                    self._error(404, "Not Found")
            elif len(rest) == 3 and rest[:2] == ["issues", "comments"] and rest[2].isdigit():
                comment = fake.issue_comments.get(int(rest[2]))
                if not comment or comment["_repo"] != repo:
                    self._error(404, "Not Found")
                elif method == "GET":
                    self._send(200, fake._comment_json(comment))
                elif method == "PATCH":
                    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                        self._error(422, "Validation Failed")
                        return
                    if len(body["body"]) > 65536:
                        self._error(422, "Validation Failed: body is too long (maximum is 65536 characters)")
                        return
                    comment["body"] = body["body"]
                    comment["updated_at"] = _now()
                    self._send(200, fake._comment_json(comment))
                else:
                    self._error(404, "Not Found")
            elif method == "GET" and len(rest) == 3 and rest[0] == "commits" and rest[2] == "pulls":
                numbers = fake.commit_pulls.get((repo, rest[1]), [])
                items = [fake._pull_json(repo, fake.pulls[(repo, n)]) for n in numbers if (repo, n) in fake.pulls]
                self._page(items, query, path)
            elif method == "POST" and len(rest) == 3 and rest[0] == "commits" and rest[2] == "comments":
                if not isinstance(body, dict) or not isinstance(body.get("body"), str):
                    self._error(422, "Validation Failed")
                    return
                with fake._lock:
                    fake._next_id += 1
                    cid = fake._next_id
                comment = {"id": cid, "body": body["body"], "user": _user(fake.token_user, "Bot"),
                           "commit_id": rest[1], "created_at": _now(), "updated_at": _now(),
                           "url": f"{fake.url}/repos/{repo}/comments/{cid}",
                           "html_url": f"https://github.example/{repo}/commit/{rest[1]}#commitcomment-{cid}"}
                fake.commit_comments_store.setdefault((repo, rest[1]), []).append(comment)
                self._send(201, comment)
            elif method == "GET" and len(rest) == 3 and rest[0] == "pulls" and rest[2] == "reviews":
                if (repo, int(rest[1])) not in fake.pulls:
                    self._error(404, "Not Found")
                    return
                self._page(fake.reviews.get((repo, int(rest[1])), []), query, path)
            elif method == "GET" and len(rest) == 3 and rest[0] == "collaborators" and rest[2] == "permission":
                permission = fake.permissions.get((repo, rest[1]))
                if permission is None:
                    self._error(404, f"{rest[1]} is not a user")
                    return
                role = {"admin": "admin", "maintain": "maintain", "write": "write", "triage": "triage"}
                self._send(200, {
                    "permission": {"maintain": "write", "triage": "read"}.get(permission, permission),
                    "role_name": role.get(permission, permission), "user": _user(rest[1]),
                })
            elif method == "GET" and len(rest) == 2 and rest[0] == "environments":
                env = fake.environments.get((repo, rest[1]))
                if env is None:
                    self._error(404, "Not Found")
                    return
                self._send(200, {
                    "id": abs(hash(rest[1])) % 10**6, "node_id": "E", "name": env["name"],
                    "url": f"{fake.url}/repos/{repo}/environments/{rest[1]}",
                    "html_url": f"https://github.example/{repo}/deployments/activity_log?environments_filter={rest[1]}",
                    "created_at": _now(), "updated_at": _now(),
                    "protection_rules": env["protection_rules"], "deployment_branch_policy": None,
                })
            else:
                self._error(404, "Not Found")

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler


@contextmanager
def fake_github_server() -> Iterator[FakeGitHub]:
    """A started fake, stopped on exit."""
    fake = FakeGitHub()
    with fake:
        yield fake


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A fresh fake GitHub API server per test (import this fixture into any conftest)."""
    with fake_github_server() as fake:
        yield fake
