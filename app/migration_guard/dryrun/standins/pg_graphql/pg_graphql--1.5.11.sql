-- Migration Guard stand-in for pg_graphql 1.5.11 (https://supabase.github.io/pg_graphql/api/).
-- The functions migrations and graphql_public.graphql() call, with their signatures. resolve()
-- does not resolve: it answers every query with a GraphQL error saying so. The real extension's
-- event triggers (schema cache invalidation) are not installed; get_schema_version() stays 1.
-- Written for Migration Guard; no pg_graphql code is copied.
\echo Use "CREATE EXTENSION pg_graphql" to load this file. \quit

create sequence graphql.seq_schema_version as integer cycle;
select pg_catalog.setval('graphql.seq_schema_version', 1, false);

create function graphql.get_schema_version() returns integer
language sql stable
as $$ select last_value from graphql.seq_schema_version $$;

create function graphql.increment_schema_version() returns void
language sql volatile
as $$ select pg_catalog.nextval('graphql.seq_schema_version') $$;

create function graphql.exception(message text) returns text
language plpgsql
as $$ begin raise exception using errcode = '22000', message = message; end $$;

-- "@graphql({...})" in a COMMENT ON, as pg_graphql reads it.
create function graphql.comment_directive(comment_ text) returns jsonb
language sql immutable
as $$
  select pg_catalog.substring(comment_, '@graphql\((.+)\)')::jsonb
$$;

create function graphql.resolve(
  query text,
  variables jsonb default '{}',
  "operationName" text default null,
  extensions jsonb default null
) returns jsonb
language sql volatile
as $$
  select pg_catalog.jsonb_build_object(
    'data', null,
    'errors', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
      'message', 'Migration Guard stand-in: GraphQL queries are not resolved in a dry run')))
$$;

do $$
declare r text;
begin
  foreach r in array array['postgres', session_user::text, 'anon', 'authenticated', 'service_role'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant usage on schema graphql to %I', r);
      execute pg_catalog.format('grant usage, select on sequence graphql.seq_schema_version to %I', r);
    end if;
  end loop;
end $$;
