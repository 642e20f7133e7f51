"""PyGithub client for the API the workflow gives (``GITHUB_API_URL``), and one-line error texts.

The token is registered as a secret everywhere (masked by the runner, redacted by our logging) and
never appears in a message: error texts are built from the status code and GitHub's message only.
"""

from __future__ import annotations

from github import Auth, Github, GithubException
from migration_guard import log
from migration_guard.github.context import DEFAULT_API_URL


def make_client(token: str | None, api_url: str = DEFAULT_API_URL) -> Github:
    """A client on ``api_url``; no retries (a failed call is reported once, the check goes on)."""
    log.add_secret(token)
    return Github(
        auth=Auth.Token(token) if token else None,
        base_url=api_url.rstrip("/") or DEFAULT_API_URL,
        timeout=20,
        per_page=100,
        retry=None,
        # One or two calls per run: no need for the client-side throttle (it adds 0.25–1 s per call).
        seconds_between_requests=None,
        seconds_between_writes=None,
        user_agent="migration-guard",
    )


def describe(exc: Exception) -> str:
    """One line for a failed API call, without the token or a traceback."""
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        text = f"GitHub API answered {exc.status}"
        if message:
            text += f" ({message})"
        if exc.status == 401:
            text += ": the token is invalid or expired; check the `github-token` input"
        elif exc.status in (403, 404):
            text += ": the token may not access this repository (fork pull request, or missing `permissions:`)"
        return text
    return f"GitHub API unreachable: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
