-- Migration Guard dry run: Supabase's roles. Run after bootstrap_base.sql (which creates
-- {{MIGRATION_ROLE}}, i.e. `postgres`) and before bootstrap_supabase.sql, as the superuser
-- (`supabase_admin`, as on Supabase). Idempotent; roles are cluster-wide, so guarded.
--
-- Security: none of these roles is a superuser or has CREATEROLE, and none is a member of a
-- predefined pg_* role; so membership in them (which `postgres` has, as on Supabase) gives
-- `postgres` nothing beyond their grants. ALTER ... OWNER TO / GRANT ... TO / SET ROLE on them work.
do $$
declare r record;
begin
  for r in select * from (values
      ('anon',                       'nologin noinherit'),
      ('authenticated',              'nologin noinherit'),
      ('service_role',               'nologin noinherit bypassrls'),
      ('authenticator',              'login noinherit'),
      ('supabase_admin',             'nologin'),
      ('supabase_auth_admin',        'nologin noinherit'),
      ('supabase_storage_admin',     'nologin noinherit'),
      ('supabase_realtime_admin',    'nologin noinherit'),
      ('supabase_replication_admin', 'nologin'),
      ('supabase_read_only_user',    'nologin'),
      ('dashboard_user',             'nologin'),
      ('pgbouncer',                  'nologin')
    ) as v(name, opts)
  loop
    if not exists (select from pg_catalog.pg_roles where rolname operator(pg_catalog.=) r.name) then
      execute pg_catalog.format('create role %I %s', r.name, r.opts);
    end if;
  end loop;
end $$;

grant anon, authenticated, service_role to authenticator;
-- As on Supabase: `postgres` may `set role authenticated`, grant these roles on, and own objects
-- as them (ALTER ... OWNER TO anon needs membership).
grant anon, authenticated, service_role, authenticator to "{{MIGRATION_ROLE}}" with admin option;
-- Membership in the owners of auth, storage and realtime lets migrations do what Supabase lets
-- `postgres` do there: policies, triggers and RLS on auth.users / storage.objects, bucket rows.
grant supabase_auth_admin, supabase_storage_admin, supabase_realtime_admin to "{{MIGRATION_ROLE}}";
