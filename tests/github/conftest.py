"""Fixtures for the GitHub tests: the local fake GitHub API server (see tests/fake_github.py)."""

from fake_github import FakeGitHub, fake_github

__all__ = ["FakeGitHub", "fake_github"]
