-- Migration Guard dry run: CREATE EXTENSION on servers whose extension folder is not ours (the url
-- and docker providers; the local provider marks the allowlisted extensions trusted instead and
-- does not install this). Run as a superuser after bootstrap_base.sql. Idempotent.
--
-- For an allowlisted extension (extension_policy.py, substituted below) the ddl_command_start
-- trigger makes the migration role superuser for that one command; ddl_command_end takes it back
-- and then refuses (raises, which rolls back the command and the elevation together) if any
-- extension outside the allowlist exists. Attack surface, closed:
-- - both functions are SECURITY DEFINER with search_path pinned to pg_catalog, pg_temp, and every
--   operator and function they use is schema-qualified, so objects that PR SQL creates (an
--   operator public.= on text, a function public.lower) are never called with our rights;
-- - start elevates only when every "create extension" in the client's statement text names an
--   allowlisted extension, the session is the migration role itself (no SET ROLE), and the
--   command is CREATE EXTENSION (the trigger's WHEN); ALTER EXTENSION ... UPDATE is never elevated;
-- - the schema holding them is the superuser's, closed to everyone else; only superusers can
--   alter event triggers or set session_replication_role (which would disable them).
create schema if not exists migration_guard_internal;
revoke all on schema migration_guard_internal from public;

create or replace function migration_guard_internal.extension_elevate() returns event_trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  q text := pg_catalog.lower(pg_catalog.current_query());
  allowed text[] := {{ALLOWED_EXTENSIONS}};
  mentions bigint;
  named text[];
begin
  if session_user operator(pg_catalog.<>) '{{MIGRATION_ROLE}}'::pg_catalog.name
     or pg_catalog.current_setting('role') operator(pg_catalog.<>) 'none' then
    return;
  end if;
  select pg_catalog.count(*) into mentions
    from pg_catalog.regexp_matches(q, 'create\s+extension', 'g');
  select pg_catalog.array_agg(pg_catalog.btrim(m[1], '"')) into named
    from pg_catalog.regexp_matches(
      q, 'create\s+extension\s+(?:if\s+not\s+exists\s+)?("[^"]+"|[a-z_][a-z0-9_$-]*)', 'g') as m;
  if mentions operator(pg_catalog.=) 0
     or named is null
     or pg_catalog.cardinality(named) operator(pg_catalog.<>) mentions
     or not (named operator(pg_catalog.<@) allowed) then
    return;  -- not elevated: an extension outside the allowlist fails as PostgreSQL decides
  end if;
  execute 'alter role "{{MIGRATION_ROLE}}" superuser';
end $$;

create or replace function migration_guard_internal.extension_lower() returns event_trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  allowed text[] := {{ALLOWED_EXTENSIONS}};
  bad text;
begin
  if session_user operator(pg_catalog.<>) '{{MIGRATION_ROLE}}'::pg_catalog.name then
    return;
  end if;
  execute 'alter role "{{MIGRATION_ROLE}}" nosuperuser';
  select e.extname::text into bad from pg_catalog.pg_extension e
    where not (e.extname::text operator(pg_catalog.=) any (allowed)) limit 1;
  if bad is not null then
    raise exception 'extension "%" is refused in the dry run: it is not on the allowlist of extensions '
      'safe for a non-superuser to own (docs/security.md)', bad
      using errcode = 'insufficient_privilege';
  end if;
  -- What the elevated script created belongs to the migration role. Two things it must never own:
  -- an event trigger (its function would run in later commands, superusers' included) and objects
  -- in pg_catalog (which our superuser sessions search).
  select e.evtname::text into bad from pg_catalog.pg_event_trigger e
    join pg_catalog.pg_roles r on r.oid operator(pg_catalog.=) e.evtowner
    where not r.rolsuper limit 1;
  if bad is null then
    select e.extname::text into bad from pg_catalog.pg_extension e
      where e.extnamespace operator(pg_catalog.=) 'pg_catalog'::pg_catalog.regnamespace
        and e.extname operator(pg_catalog.<>) 'plpgsql'::pg_catalog.name limit 1;
  end if;
  if bad is not null then
    raise exception 'CREATE EXTENSION refused in the dry run: it would give the migration role "%" '
      '(an event trigger, or objects in pg_catalog) (docs/security.md)', bad
      using errcode = 'insufficient_privilege';
  end if;
end $$;
revoke all on function migration_guard_internal.extension_elevate() from public;
revoke all on function migration_guard_internal.extension_lower() from public;

drop event trigger if exists migration_guard_extension_elevate;
drop event trigger if exists migration_guard_extension_lower;
create event trigger migration_guard_extension_elevate on ddl_command_start
  when tag in ('CREATE EXTENSION')
  execute function migration_guard_internal.extension_elevate();
create event trigger migration_guard_extension_lower on ddl_command_end
  when tag in ('CREATE EXTENSION')
  execute function migration_guard_internal.extension_lower();
