"""The image itself: what it holds and leaves out, and that its baked data folders are the same as a
fresh initdb plus bootstrap."""

from __future__ import annotations

import json
import re
import subprocess

from container.conftest import docker, timed

# A failing migration carries a fingerprint of the dry-run database out in the plan's error: roles,
# schemas, relations, functions (with their security settings), extensions, event triggers, grants.
FINGERPRINT = """\
-- intent: fingerprint the prepared database
do $$ begin raise exception 'fingerprint:%', (select md5(string_agg(x, '|' order by x)) from (
  select 'role:' || rolname || rolsuper || rolcreaterole || rolcreatedb || rolbypassrls || rolinherit from pg_roles
  union all select 'ns:' || nspname || ':' || nspowner::regrole || coalesce(nspacl::text, '') from pg_namespace
  union all select 'rel:' || c.oid::regclass || c.relkind::text || c.relowner::regrole || coalesce(c.relacl::text, '')
    from pg_class c where c.relnamespace::regnamespace::text not in ('pg_toast', 'pg_catalog', 'information_schema')
  union all select 'fn:' || p.oid::regprocedure || p.prosecdef || coalesce(p.proconfig::text, '') || p.proowner::regrole
    from pg_proc p where p.pronamespace::regnamespace::text not in ('pg_catalog', 'information_schema')
  union all select 'ext:' || extname || extversion from pg_extension
  union all select 'evt:' || evtname || evtevent || evtfoid::regproc from pg_event_trigger
  union all select 'db:' || datname || datdba::regrole || coalesce(datacl::text, '') from pg_database
    where datname = current_database()
  union all select 'set:' || coalesce(setrole::regrole::text, '') || setconfig::text from pg_db_role_setting
) t(x)); end $$;
"""


def plan_error(image: str, supabase: str, cache: str | None) -> str:
    script = (
        "set -e; mkdir -p /tmp/p/supabase/migrations; cd /tmp/p; "
        "printf '[api]\\n' > supabase/config.toml; "
        "cat > supabase/migrations/20240101000000_fp.sql; "
        f"migration-guard plan --dir supabase/migrations --supabase {supabase} --postgres local --format json "
        "--no-progress || true; echo; "
        "echo \"cache: $(ls \"${MIGRATION_GUARD_CACHE_DIR:-/nonexistent}\" 2>/dev/null | tr '\\n' ' ')\" >&2"
    )
    env = ["-e", f"MIGRATION_GUARD_CACHE_DIR={cache}"] if cache is not None else ["-e", "MIGRATION_GUARD_CACHE_DIR="]
    proc = subprocess.run(
        ["docker", "run", "--rm", "-i", "--network", "host", *env, "--entrypoint", "sh", image, "-c", script],
        input=FINGERPRINT, capture_output=True, text=True, timeout=600, check=False,
    )
    found = re.search(r"fingerprint:([0-9a-f]{32})", proc.stdout + proc.stderr)
    assert found, proc.stdout[-2000:] + proc.stderr[-2000:]
    return found.group(1) + "\n" + proc.stderr.strip().splitlines()[-1]


def test_the_baked_data_folder_equals_a_fresh_initdb_and_bootstrap(image: str) -> None:
    baked = docker("run", "--rm", "--entrypoint", "sh", image, "-c", "ls $MIGRATION_GUARD_CACHE_DIR").stdout.split()
    assert len(baked) == 1 and "-sb" in baked[0], baked  # the Supabase bootstrap
    from_cache = plan_error(image, "on", "/opt/migration-guard/pgcache")
    fresh = plan_error(image, "on", None)
    fingerprint, listing = from_cache.split("\n")
    # The run used the baked folder: it made no new one (the key matched).
    assert listing.removeprefix("cache:").split() == baked, listing
    assert fingerprint == fresh.split("\n")[0]
    # A plain PostgreSQL project prepares its own folder next to it (and gets the same database).
    plain_cached = plan_error(image, "off", "/opt/migration-guard/pgcache")
    assert len(plain_cached.split("\n")[1].removeprefix("cache:").split()) == 2
    assert plain_cached.split("\n")[0] == plan_error(image, "off", None).split("\n")[0]


def test_server_ready_from_the_baked_folder(image: str) -> None:
    """Measured, not asserted (timings vary): a copy of the baked folder, then the server's start."""
    code = (
        "import os, time, pathlib; from migration_guard.dryrun.local import LocalPostgres;"
        "d = sorted(pathlib.Path(os.environ['MIGRATION_GUARD_CACHE_DIR']).iterdir())[-1];"
        "t = time.monotonic(); pg = LocalPostgres(template_data_dir=d).start();"
        "print(f'{time.monotonic() - t:.3f}'); pg.stop()"
    )
    runs = [float(docker("run", "--rm", "--entrypoint", "python", image, "-c", code).stdout.strip()) for _ in range(3)]
    timed("server ready from the baked folder (best of 3)", min(runs))
    assert all(r > 0 for r in runs)


def test_image_is_slim_and_holds_what_the_dry_run_needs(image: str) -> None:
    size = int(docker("image", "inspect", image, "--format", "{{.Size}}").stdout.strip())
    timed(f"image size {size / 1e6:.0f} MB", 0)
    assert size <= 300_000_000
    script = (
        "ls /usr/lib/x86_64-linux-gnu/libLLVM* /usr/lib/aarch64-linux-gnu/libLLVM* 2>/dev/null | wc -l;"
        "command -v gcc cc make | wc -l;"
        "ls -d /root/.cache/pip 2>/dev/null | wc -l;"
        "python -c 'import faker' 2>/dev/null && echo faker || echo no-faker;"
        "ls $(pg_config --pkglibdir)/mg_vector.so $(pg_config --pkglibdir)/mg_guard.so | wc -l;"
        "ls /usr/share/postgresql/15/extension | grep -cE '^(pg_cron|pgtap|hypopg|plpgsql_check|pg_partman|rum|pgaudit)"
        "\\.control$';"
        "git --version | cut -d' ' -f1"
    )
    out = docker("run", "--rm", "--entrypoint", "sh", image, "-c", script).stdout.split()
    assert out == ["0", "0", "0", "no-faker", "2", "7", "git"], out
    history = docker("history", "--no-trunc", "--format", "{{json .}}", image).stdout.splitlines()
    assert history and all("CreatedBy" in json.loads(line) for line in history)
