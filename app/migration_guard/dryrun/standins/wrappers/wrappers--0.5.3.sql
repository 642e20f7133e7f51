-- Migration Guard stand-in for Supabase Wrappers 0.5.3 (https://fdw.dev, "Foreign Data Wrappers").
-- For each wrapper: <name>_fdw_handler(), <name>_fdw_validator(text[], oid) and <name>_fdw_meta(),
-- so `create foreign data wrapper stripe_wrapper handler stripe_fdw_handler validator
-- stripe_fdw_validator`, `create server ... options (api_key ...)` and `create foreign table ...`
-- work as on Supabase. Written for Migration Guard; no Wrappers code is copied.
--
-- The handler: an FDW handler must return the pseudo-type fdw_handler, which only C functions can
-- (SQL and PL/pgSQL cannot). Reusing postgres_fdw's or file_fdw's handler would let a foreign table
-- reach the network or the server's files. So each handler is PostgreSQL's own built-in
-- fdw_handler_in(), bound as an internal function: CREATE FOREIGN DATA WRAPPER only checks the
-- declared return type, and the handler is only called when a foreign table is planned, where
-- fdw_handler_in() raises "cannot accept a value of type fdw_handler" before touching anything.
-- So reading or writing a foreign table fails with that error (as does ANALYZE naming it).
-- The validators (PL/pgSQL: a SQL function returning void returns NULL, which PostgreSQL rejects
-- from a validator) accept every option; the real ones check the required ones.
\echo Use "CREATE EXTENSION wrappers" to load this file. \quit

create table @extschema@.wrappers_fdw_stats (
  fdw_name text not null primary key,
  create_times bigint,
  rows_in bigint,
  rows_out bigint,
  bytes_in bigint,
  bytes_out bigint,
  metadata jsonb,
  created_at timestamptz not null default pg_catalog.timezone('utc', pg_catalog.now()),
  updated_at timestamptz not null default pg_catalog.timezone('utc', pg_catalog.now())
);
comment on table @extschema@.wrappers_fdw_stats is 'Wrappers Foreign Data Wrapper statistics';

do $$
declare
  fdw text;
  fdws constant text[] := array['airtable', 'auth0', 'big_query', 'click_house', 'cognito', 'duckdb',
                                'firebase', 'iceberg', 'logflare', 'mssql', 'redis', 's3', 'stripe', 'wasm'];
  names constant text[] := array['Airtable', 'Auth0', 'BigQuery', 'ClickHouse', 'Cognito', 'DuckDB',
                                 'Firebase', 'Iceberg', 'Logflare', 'Mssql', 'Redis', 'S3', 'Stripe', 'Wasm'];
begin
  for i in 1 .. pg_catalog.array_length(fdws, 1) loop
    fdw := fdws[i];
    execute pg_catalog.format(
      'create function @extschema@.%I() returns fdw_handler language internal as %L',
      fdw || '_fdw_handler', 'fdw_handler_in');
    execute pg_catalog.format(
      'create function @extschema@.%I(options text[], catalog oid) returns void language plpgsql as %L',
      fdw || '_fdw_validator', 'begin end');
    execute pg_catalog.format(
      'create function @extschema@.%I() returns table (name text, version text, author text, website text)
       language sql immutable as %L',
      fdw || '_fdw_meta',
      pg_catalog.format('select %L::text, %L::text, %L::text, %L::text',
                        names[i] || 'Fdw', '0.5.3', 'Supabase (Migration Guard stand-in)',
                        'https://github.com/supabase/wrappers/tree/main/wrappers/src/fdw/' || fdw || '_fdw'));
  end loop;
end $$;

-- The handlers are superuser-owned internal functions; CREATE FOREIGN DATA WRAPPER names them.
do $$
declare r text;
begin
  foreach r in array array['postgres', session_user::text, 'service_role'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant all on @extschema@.wrappers_fdw_stats to %I', r);
    end if;
  end loop;
end $$;
