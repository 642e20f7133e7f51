from __future__ import annotations

from migration_guard.redact import describe_database, redact


def test_password_in_url_is_masked_and_user_host_kept() -> None:
    out = redact("connecting to postgresql://app:s3cr3t-pw@db.example.com:5432/prod failed")
    assert "s3cr3t-pw" not in out
    assert "postgresql://app:***@db.example.com:5432/prod" in out


def test_password_keyword_in_dsn_is_masked() -> None:
    out = redact("host=db user=app password=hunter22 dbname=prod")
    assert "hunter22" not in out and "password=***" in out


def test_github_tokens_and_registered_secrets_are_masked() -> None:
    token = "ghp_" + "a" * 36
    out = redact(f"token {token} and custom abcd1234secret", secrets=["abcd1234secret"])
    assert token not in out and "abcd1234secret" not in out


def test_describe_database_gives_host_and_name_only() -> None:
    assert describe_database("postgresql://u:pw@db.internal:6543/app?sslmode=require") == "db.internal:6543/app"
    assert describe_database("host=db.internal port=5432 user=u password=pw dbname=app") == "db.internal:5432/app"
    assert "pw" not in describe_database("postgres://u:pw@h/d")
