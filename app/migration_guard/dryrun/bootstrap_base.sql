-- Migration Guard dry run: the part every dry-run database gets (Supabase or not).
-- Run once per database as a superuser. Idempotent. {{MIGRATION_ROLE}} is substituted.
--
-- Migrations run as {{MIGRATION_ROLE}}, a NON-superuser (as `postgres` is on hosted Supabase), so
-- SQL in a pull request cannot run shell commands (COPY ... FROM PROGRAM) or read server files.
-- It owns the dry-run database (so it owns schema public and may CREATE SCHEMA).

do $$
begin
  if not exists (select 1 from pg_roles where rolname = '{{MIGRATION_ROLE}}') then
    create role "{{MIGRATION_ROLE}}" login nosuperuser nocreaterole nocreatedb noreplication nobypassrls;
  end if;
end $$;

do $$ begin
  execute format('alter database %I owner to %I', current_database(), '{{MIGRATION_ROLE}}');
end $$;

-- CREATE EXTENSION as on Supabase (supautils lets `postgres` create any available extension):
-- trusted extensions the role creates itself; for the others these event triggers make the
-- migration role superuser for exactly the one CREATE EXTENSION command and take it back when the
-- command ends. The flag change is part of the command's transaction, so an error rolls it back
-- too. Only superusers can alter event triggers or set session_replication_role (which disables
-- them), and the functions live in a schema the role cannot write to.
create schema if not exists migration_guard_internal;
revoke all on schema migration_guard_internal from public;

create or replace function migration_guard_internal.extension_elevate() returns event_trigger
language plpgsql security definer as $$
begin
  if tg_tag = 'CREATE EXTENSION' and session_user = '{{MIGRATION_ROLE}}' then
    execute 'alter role "{{MIGRATION_ROLE}}" superuser';
  end if;
end $$;

create or replace function migration_guard_internal.extension_lower() returns event_trigger
language plpgsql security definer as $$
begin
  if tg_tag = 'CREATE EXTENSION' and session_user = '{{MIGRATION_ROLE}}' then
    execute 'alter role "{{MIGRATION_ROLE}}" nosuperuser';
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
