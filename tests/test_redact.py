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


def test_password_is_masked_in_every_spelling_wherever_it_appears() -> None:
    url = "postgresql://app:p%40ss%20word%2FZq8@db.example.com:5432/prod"
    text = (
        'FATAL: invalid input syntax for type integer: "p@ss word/Zq8"; '
        "dsn password = 'p@ss word/Zq8' and p%40ss%20word%2FZq8 and postgresql://app:p%40ss%20word%2FZq8@db/prod"
    )
    out = redact(text, [url])
    assert "p@ss word/Zq8" not in out and "p%40ss%20word%2FZq8" not in out
    assert "postgresql://app:***@db/prod" in out


def test_password_with_spaces_in_a_keyword_dsn() -> None:
    dsn = "host=db user=app password='correct horse battery' dbname=prod"
    out = redact("server said: correct horse battery staple", [dsn])
    assert "correct horse battery" not in out


def test_common_word_password_is_masked_in_its_position_only() -> None:
    url = "postgresql://postgres:postgres@db.example.com:5432/postgres"
    out = redact(f"connecting to {url}: role postgres, database postgres, file 1_postgres_grants.sql", [url])
    assert out == (
        "connecting to postgresql://postgres:***@db.example.com:5432/postgres: role postgres, database postgres, "
        "file 1_postgres_grants.sql"
    )
    assert redact("password=postgres user=postgres", [url]) == "password=*** user=postgres"


def test_common_word_password_is_masked_inside_libpq_conninfo_errors() -> None:
    url = "postgresql://postgres:postgres@localhost/postgres?sslmode=postgres"
    out = redact('connection is bad: invalid sslmode value: "postgres"', [url])
    assert out == 'connection is bad: invalid sslmode value: "***"'


def test_authorization_headers_and_base64_checkout_tokens_are_masked() -> None:
    import base64

    token = "ghs_" + "A1b2C3d4" * 5
    b64 = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    out = redact(f"[http]\n\textraheader = AUTHORIZATION: basic {b64}\n")
    assert b64 not in out and "AUTHORIZATION: basic ***" in out
    assert redact(f"value: '{b64}'") == "value: '***'"  # the base64 on its own
    assert redact("Authorization: bearer abc.def-ghi") == "Authorization: bearer ***"
    assert redact("ordinary words and an identifier_of_some_length_here") == (
        "ordinary words and an identifier_of_some_length_here"
    )


def test_describe_database_reads_every_form_and_never_raises() -> None:
    assert describe_database("host = db port = 6543 dbname = app password = x") == "db:6543/app"
    assert describe_database("postgresql://u:pw@h1:5432,h2:6543/app") == "h1:5432,h2:6543/app"
    assert describe_database("postgresql://u:pw@h:99x/app") == "h:99x/app"
    assert describe_database("postgresql://u:pw@[::1/app") == "(unparsable database URL)"
    assert describe_database("postgresql://u:pw@h/app?pgbouncer=true") == "h/app"
