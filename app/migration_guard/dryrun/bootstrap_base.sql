-- Migration Guard dry run: the part every dry-run database gets (Supabase or not).
-- Run once per database as a superuser, before any pull-request SQL exists. Idempotent.
-- {{MIGRATION_ROLE}} is substituted (`postgres`, as on Supabase).
--
-- Migrations run as {{MIGRATION_ROLE}}, a NON-superuser modelled on Supabase's `postgres`: CREATEDB,
-- REPLICATION, BYPASSRLS, the owner of the dry-run database and of schema public. CREATEROLE only
-- when the mg_guard library is preloaded: in PostgreSQL 15 a CREATEROLE role may grant itself
-- pg_execute_server_program (shell access), and mg_guard is what refuses that (docs/security.md).
-- So PR SQL cannot run programs, read or write server files, or become superuser.

do $$
declare
  guarded boolean := 'mg_guard' operator(pg_catalog.=) any (pg_catalog.string_to_array(
    pg_catalog.replace(pg_catalog.current_setting('shared_preload_libraries'), ' ', ''), ','));
begin
  if not exists (select from pg_catalog.pg_roles where rolname operator(pg_catalog.=) '{{MIGRATION_ROLE}}') then
    create role "{{MIGRATION_ROLE}}" login;
  end if;
  execute pg_catalog.format('alter role %I login nosuperuser createdb replication bypassrls %s',
    '{{MIGRATION_ROLE}}', case when guarded then 'createrole' else 'nocreaterole' end);
  execute pg_catalog.format('alter database %I owner to %I', pg_catalog.current_database(), '{{MIGRATION_ROLE}}');
end $$;
alter schema public owner to "{{MIGRATION_ROLE}}";
