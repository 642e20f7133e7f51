"""`migration-guard lint --fix` / `--diff` through the real CLI (a subprocess) on temp projects:
the diff text, files left alone, the cases a fix must refuse, bad input, exit statuses."""

from __future__ import annotations

from pathlib import Path

from autofix_helpers import BASE, BASE_NAME, cli, project

INDEX = "20240102000000_orders_customer_idx.sql"
INDEX_SQL = (
    "-- intent: orders by customer\n"
    "CREATE INDEX orders_customer_id_idx\n"
    "  ON public.orders (customer_id); -- for the customer page\n"
)


def test_diff_shows_the_change_and_writes_nothing(tmp_path: Path) -> None:
    folder = project(tmp_path, {BASE_NAME: BASE, INDEX: INDEX_SQL})
    before = sorted(p.name for p in folder.iterdir())
    proc = cli("--diff", cwd=tmp_path)
    path = f"supabase/migrations/{INDEX}"
    assert proc.stdout == (
        f"--- {path}\n"
        f"+++ {path}\n"
        "@@ -1,3 +1,4 @@\n"
        " -- intent: orders by customer\n"
        "-CREATE INDEX orders_customer_id_idx\n"
        "+-- migration-guard: no-transaction\n"
        "+CREATE INDEX CONCURRENTLY orders_customer_id_idx\n"
        "   ON public.orders (customer_id); -- for the customer page\n"
    )
    assert proc.stderr == (
        f"{path}:3:6: fixed index-not-concurrent: added CONCURRENTLY and `-- migration-guard: no-transaction`\n"
    )
    assert proc.returncode == 1  # something to change
    assert (folder / INDEX).read_text() == INDEX_SQL
    assert sorted(p.name for p in folder.iterdir()) == before


def test_diff_of_a_new_follow_up_file_comes_from_dev_null(tmp_path: Path) -> None:
    sql = "-- intent: c\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_check.sql": sql})
    proc = cli("--diff", cwd=tmp_path)
    new = "supabase/migrations/20240102000001_validate_orders_amount_positive.sql"
    assert f"--- /dev/null\n+++ {new}\n" in proc.stdout
    assert "+ALTER TABLE orders VALIDATE CONSTRAINT orders_amount_positive;\n" in proc.stdout
    assert f"{new}: new migration file, runs right after 20240102000000_check.sql" in proc.stderr
    assert not (tmp_path / new).exists()
    assert (folder / "20240102000000_check.sql").read_text() == sql


def test_fix_writes_then_reports_what_is_left_with_lints_exit_status(tmp_path: Path) -> None:
    folder = project(tmp_path, {BASE_NAME: BASE, INDEX: INDEX_SQL})
    proc = cli("--fix", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"supabase/migrations/{INDEX}:3:6: fixed index-not-concurrent: ")
    assert "0 errors" in proc.stdout
    assert (folder / INDEX).read_text() == (
        "-- intent: orders by customer\n-- migration-guard: no-transaction\nCREATE INDEX CONCURRENTLY "
        "orders_customer_id_idx\n  ON public.orders (customer_id); -- for the customer page\n"
    )
    again = cli("--fix", cwd=tmp_path)  # idempotent: nothing left to do
    assert again.returncode == 0
    assert again.stdout.startswith("nothing to fix\n")


def test_two_statements_get_no_concurrently(tmp_path: Path) -> None:
    sql = "-- intent: x\nALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_amount_idx ON orders (amount);\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_two.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert (folder / "20240102000000_two.sql").read_text() == sql
    assert (
        "20240102000000_two.sql:3:35: skipped index-not-concurrent: the file holds 1 other statement(s); "
        "CONCURRENTLY must run outside a transaction, so move the statement to a migration file of its own"
    ) in proc.stdout
    assert proc.returncode == 1  # the finding is still there


def test_unnamed_constraint_is_skipped_with_the_reason(tmp_path: Path) -> None:
    sql = "-- intent: x\nALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_fk.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert "skipped foreign-key-not-valid: the constraint has no name" in proc.stdout
    assert (folder / "20240102000000_fk.sql").read_text() == sql
    assert sorted(p.name for p in folder.iterdir()) == [BASE_NAME, "20240102000000_fk.sql"]
    assert proc.returncode == 1


def test_table_created_in_the_same_file_needs_no_fix(tmp_path: Path) -> None:
    sql = (
        "-- intent: new table\ncreate table public.items (id bigint primary key, order_id bigint, name text);\n"
        "create index items_order_id_idx on public.items (order_id);\n"
        "alter table public.items add constraint items_order_fkey\n"
        "  foreign key (order_id) references public.orders (id);\n"
        "alter table public.items alter column name set not null;\n"
    )
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_items.sql": sql})
    diff = cli("--diff", cwd=tmp_path)
    assert (diff.returncode, diff.stdout, diff.stderr) == (0, "", "nothing to fix\n")
    proc = cli("--fix", cwd=tmp_path)
    assert proc.stdout.startswith("nothing to fix\n"), proc.stdout
    assert proc.returncode == 0
    assert (folder / "20240102000000_items.sql").read_text() == sql
    assert len(list(folder.iterdir())) == 2


def test_inline_constraint_in_add_column_is_skipped(tmp_path: Path) -> None:
    sql = "-- intent: x\nALTER TABLE orders ADD COLUMN score int CONSTRAINT score_positive CHECK (score > 0);\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_score.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert "skipped check-constraint-not-valid: the constraint is written inline in ADD COLUMN" in proc.stdout
    assert (folder / "20240102000000_score.sql").read_text() == sql


def test_set_not_null_on_only_the_parent_is_skipped(tmp_path: Path) -> None:
    sql = "-- intent: x\nALTER TABLE ONLY orders ALTER COLUMN email SET NOT NULL;\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_nn.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert "skipped set-not-null: ALTER TABLE ONLY: a CHECK added to the parent alone" in proc.stdout
    assert (folder / "20240102000000_nn.sql").read_text() == sql
    assert len(list(folder.iterdir())) == 2


def test_older_files_of_a_history_are_not_edited(tmp_path: Path) -> None:
    old = "-- intent: old\nCREATE INDEX orders_amount_idx ON orders (amount);\n"
    folder = project(
        tmp_path,
        {BASE_NAME: BASE, "20240102000000_old.sql": old, "20240103000000_new.sql": "-- intent: n\nSELECT 1;\n"},
    )
    proc = cli("--fix", cwd=tmp_path)
    assert "20240102000000_old.sql:2:35: skipped index-not-concurrent: an older migration" in proc.stdout
    assert (folder / "20240102000000_old.sql").read_text() == old
    # Named, the same file is the change and is fixed.
    named = cli("--fix", "supabase/migrations/20240102000000_old.sql", cwd=tmp_path)
    assert "fixed index-not-concurrent" in named.stdout
    assert "CONCURRENTLY" in (folder / "20240102000000_old.sql").read_text()


def test_unparseable_file_is_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    broken = "-- intent: x\nCREATE INDEX orders_amount_idx ON orders (amount);\nALTER TABLE orders ADD COLUMN;\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_broken.sql": broken})
    for flag in ("--fix", "--diff"):
        proc = cli(flag, cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stdout == ""
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr
        assert lines[0].startswith("migration-guard: error: supabase/migrations/20240102000000_broken.sql:3: ")
        assert lines[0].endswith("nothing was fixed (a file that does not parse cannot be rewritten safely)")
        assert (folder / "20240102000000_broken.sql").read_text() == broken


def test_dbmate_file_gets_transaction_false(tmp_path: Path) -> None:
    sql = (
        "-- migrate:up\nCREATE INDEX orders_amount_idx ON orders (amount);\n\n"
        "-- migrate:down\nDROP INDEX orders_amount_idx;\n"
    )
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_amount.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert "added CONCURRENTLY and `-- migrate:up transaction:false`" in proc.stdout
    assert (folder / "20240102000000_amount.sql").read_text() == (
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY orders_amount_idx ON orders (amount);\n\n"
        "-- migrate:down\nDROP INDEX orders_amount_idx;\n"
    )


def test_concurrently_already_written_gets_only_the_directive(tmp_path: Path) -> None:
    sql = "-- intent: x\nCREATE INDEX CONCURRENTLY orders_amount_idx ON orders (amount);\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_amount.sql": sql})
    proc = cli("--fix", cwd=tmp_path)
    assert "fixed concurrent-in-transaction: added `-- migration-guard: no-transaction`" in proc.stdout
    assert proc.returncode == 0
    assert (folder / "20240102000000_amount.sql").read_text() == (
        "-- intent: x\n-- migration-guard: no-transaction\n"
        "CREATE INDEX CONCURRENTLY orders_amount_idx ON orders (amount);\n"
    )


def test_crlf_and_bom_are_kept(tmp_path: Path) -> None:
    sql = "\ufeff-- intent: c\r\nALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0);\r\n"
    folder = project(tmp_path, {BASE_NAME: BASE, "20240102000000_check.sql": sql})
    cli("--fix", cwd=tmp_path)
    data = (folder / "20240102000000_check.sql").read_bytes()
    fixed = "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount > 0) NOT VALID;"
    assert data == f"\ufeff-- intent: c\r\n{fixed}\r\n".encode()
    follow = (folder / "20240102000001_validate_orders_amount_positive.sql").read_bytes()
    assert b"\r\n" in follow and b"\n" not in follow.replace(b"\r\n", b"")


def test_help_and_json_output(tmp_path: Path) -> None:
    helped = cli("--help", cwd=tmp_path)
    assert "--fix" in helped.stdout and "--diff" in helped.stdout
    project(tmp_path, {BASE_NAME: BASE, INDEX: INDEX_SQL})
    proc = cli("--fix", "--format", "json", cwd=tmp_path)
    assert proc.stdout.startswith("{")  # stdout stays machine-readable: the fix lines go to stderr
    assert "fixed index-not-concurrent" in proc.stderr
