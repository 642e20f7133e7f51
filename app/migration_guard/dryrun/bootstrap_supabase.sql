-- Migration Guard dry run: Supabase compatibility. Run after bootstrap_base.sql, as a superuser,
-- once per database. Idempotent. It recreates what application migrations *reference* on a
-- hosted Supabase project (roles, auth/storage/realtime/extensions/graphql/vault schemas, the JWT
-- helper functions, the realtime publication); it does not emulate GoTrue, Storage or Realtime.

-- Roles: bootstrap_roles.sql (run before this file).

-- What each part mirrors (a Supabase project created in 2026, PostgreSQL 15 image 15.8.1.x):
--   auth      GoTrue (supabase/auth) v2.18x schema: the tables seeds, triggers and `supabase db dump`
--             output use, with their columns, enums, keys and the indexes that constrain writes.
--   storage   storage-api tenant migrations up to 0063 (supabase/storage, 2026-08).
--   realtime  supabase/realtime v2.5x: realtime.messages, send(), broadcast_changes(), topic().
--   graphql_public, vault, graphql, extensions: as the platform creates them for every project;
--             pg_graphql and supabase_vault are installed by default, so they are here too when the
--             server offers them (real, or Migration Guard's stand-ins). net, cron and pgmq are
--             not: the platform creates them only when a migration enables pg_net/pg_cron/pgmq.
-- Tables (IF NOT EXISTS) and functions (to_regprocedure guards) are created only where missing, so
-- a server that already has them (the supabase/postgres image) keeps its own.

-- Schemas and search_path --------------------------------------------------------------------------
create schema if not exists extensions;
create schema if not exists auth authorization supabase_auth_admin;
create schema if not exists storage authorization supabase_storage_admin;
create schema if not exists realtime authorization supabase_realtime_admin;
create schema if not exists graphql;
create schema if not exists graphql_public;
create schema if not exists vault;
grant usage, create on schema extensions to "{{MIGRATION_ROLE}}";
grant usage on schema extensions, graphql_public, graphql, auth, storage, realtime
  to anon, authenticated, service_role, "{{MIGRATION_ROLE}}";
grant usage on schema public to anon, authenticated, service_role;
grant usage on schema vault to service_role, "{{MIGRATION_ROLE}}";

-- Supabase keeps extensions in schema "extensions" and puts it on the search_path, so unqualified
-- uuid_generate_v4() / gen_random_bytes() / crypt() resolve.
do $$ begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
end $$;
set search_path = "$user", public, extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgcrypto with schema extensions;
-- The platform extensions of a new project, where this server has them: a migration that runs
-- `create extension pg_graphql` (without IF NOT EXISTS) fails on Supabase and must fail here too.
-- (pg_stat_statements, also preinstalled on Supabase, is left to the migrations that create it.)
do $$
declare e record;
begin
  for e in select * from (values ('pg_graphql', 'graphql'), ('supabase_vault', 'vault')) as v(name, schema)
  loop
    if exists (select 1 from pg_catalog.pg_available_extensions where name = e.name) then
      execute format('create extension if not exists %I with schema %I', e.name, e.schema);
    end if;
  end loop;
end $$;

-- On Supabase, what `postgres` creates in public is granted to the API roles (RLS is the gate).
alter default privileges for role "{{MIGRATION_ROLE}}" in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges for role "{{MIGRATION_ROLE}}" in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges for role "{{MIGRATION_ROLE}}" in schema public grant all on functions to anon, authenticated, service_role;

-- auth (GoTrue v2.18x) -----------------------------------------------------------------------------
set role supabase_auth_admin;
do $$ begin
  create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
  create type auth.factor_type as enum ('totp', 'webauthn', 'phone');
  create type auth.factor_status as enum ('unverified', 'verified');
  create type auth.code_challenge_method as enum ('s256', 'plain');
  create type auth.one_time_token_type as enum ('confirmation_token', 'reauthentication_token',
    'recovery_token', 'email_change_token_new', 'email_change_token_current', 'phone_change_token');
exception when duplicate_object then null;
end $$;

create table if not exists auth.instances (
  id uuid not null primary key,
  uuid uuid,
  raw_base_config text,
  created_at timestamptz,
  updated_at timestamptz
);
create table if not exists auth.schema_migrations (version varchar(255) not null primary key);

create table if not exists auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  confirmation_sent_at timestamptz,
  recovery_token varchar(255),
  recovery_sent_at timestamptz,
  email_change_token_new varchar(255),
  email_change varchar(255),
  email_change_sent_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text unique default null,
  phone_confirmed_at timestamptz,
  phone_change text default '',
  phone_change_token varchar(255) default '',
  phone_change_sent_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) default '',
  email_change_confirm_status smallint default 0
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2),
  banned_until timestamptz,
  reauthentication_token varchar(255) default '',
  reauthentication_sent_at timestamptz,
  is_sso_user boolean not null default false,
  deleted_at timestamptz,
  is_anonymous boolean not null default false
);
comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email));
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
create unique index if not exists confirmation_token_idx on auth.users (confirmation_token) where confirmation_token !~ '^[0-9 ]*$';
create unique index if not exists recovery_token_idx on auth.users (recovery_token) where recovery_token !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_current_idx on auth.users (email_change_token_current) where email_change_token_current !~ '^[0-9 ]*$';
create unique index if not exists email_change_token_new_idx on auth.users (email_change_token_new) where email_change_token_new !~ '^[0-9 ]*$';
create unique index if not exists reauthentication_token_idx on auth.users (reauthentication_token) where reauthentication_token !~ '^[0-9 ]*$';

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid() primary key,
  constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
create index if not exists identities_user_id_idx on auth.identities (user_id);
create index if not exists identities_email_idx on auth.identities (email text_pattern_ops);

create table if not exists auth.sessions (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  tag text
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
create index if not exists sessions_not_after_idx on auth.sessions (not_after desc);
create index if not exists user_id_created_at_idx on auth.sessions (user_id, created_at);

create table if not exists auth.refresh_tokens (
  instance_id uuid,
  id bigserial not null primary key,
  token varchar(255) unique,
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index if not exists refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists refresh_tokens_updated_at_idx on auth.refresh_tokens (updated_at desc);

create table if not exists auth.audit_log_entries (
  instance_id uuid,
  id uuid not null primary key,
  payload json,
  created_at timestamptz,
  ip_address varchar(64) not null default ''
);
create index if not exists audit_logs_instance_id_idx on auth.audit_log_entries (instance_id);

create table if not exists auth.mfa_factors (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  friendly_name text,
  factor_type auth.factor_type not null,
  status auth.factor_status not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  secret text,
  phone text,
  last_challenged_at timestamptz unique,
  web_authn_credential jsonb,
  web_authn_aaguid uuid
);
create unique index if not exists mfa_factors_user_friendly_name_unique on auth.mfa_factors (friendly_name, user_id) where trim(friendly_name) <> '';
create index if not exists mfa_factors_user_id_idx on auth.mfa_factors (user_id);

create table if not exists auth.mfa_challenges (
  id uuid not null primary key,
  factor_id uuid not null references auth.mfa_factors (id) on delete cascade,
  created_at timestamptz not null,
  verified_at timestamptz,
  ip_address inet not null,
  otp_code text,
  web_authn_session_data jsonb
);

create table if not exists auth.mfa_amr_claims (
  session_id uuid not null references auth.sessions (id) on delete cascade,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  authentication_method text not null,
  id uuid not null primary key,
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method)
);

create table if not exists auth.flow_state (
  id uuid not null primary key,
  user_id uuid,
  auth_code text not null,
  code_challenge_method auth.code_challenge_method not null,
  code_challenge text not null,
  provider_type text not null,
  provider_access_token text,
  provider_refresh_token text,
  created_at timestamptz,
  updated_at timestamptz,
  authentication_method text not null,
  auth_code_issued_at timestamptz
);
create index if not exists idx_auth_code on auth.flow_state (auth_code);
create index if not exists idx_user_id_auth_method on auth.flow_state (user_id, authentication_method);

create table if not exists auth.one_time_tokens (
  id uuid not null primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  token_type auth.one_time_token_type not null,
  token_hash text not null check (char_length(token_hash) > 0),
  relates_to text not null,
  created_at timestamp not null default now(),
  updated_at timestamp not null default now(),
  constraint one_time_tokens_user_id_token_type_key unique (user_id, token_type)
);

create table if not exists auth.sso_providers (
  id uuid not null primary key,
  resource_id text check (resource_id = null or char_length(resource_id) > 0),
  created_at timestamptz,
  updated_at timestamptz
);
create table if not exists auth.sso_domains (
  id uuid not null primary key,
  sso_provider_id uuid not null references auth.sso_providers (id) on delete cascade,
  domain text not null check (char_length(domain) > 0),
  created_at timestamptz,
  updated_at timestamptz
);
create table if not exists auth.saml_providers (
  id uuid not null primary key,
  sso_provider_id uuid not null references auth.sso_providers (id) on delete cascade,
  entity_id text not null unique check (char_length(entity_id) > 0),
  metadata_xml text not null check (char_length(metadata_xml) > 0),
  metadata_url text check (metadata_url = null or char_length(metadata_url) > 0),
  attribute_mapping jsonb,
  created_at timestamptz,
  updated_at timestamptz,
  name_id_format text
);
create table if not exists auth.saml_relay_states (
  id uuid not null primary key,
  sso_provider_id uuid not null references auth.sso_providers (id) on delete cascade,
  request_id text not null check (char_length(request_id) > 0),
  for_email text,
  redirect_to text,
  created_at timestamptz,
  updated_at timestamptz,
  flow_state_id uuid references auth.flow_state (id) on delete cascade
);

-- The JWT helpers read PostgREST's GUCs: request.jwt.claims (JSON, current) and the legacy
-- request.jwt.claim.<name> settings, exactly as GoTrue's own definitions do.
do $do$ begin
  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb
    language sql stable set search_path = '' as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid
    language sql stable set search_path = '' as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('auth.role()') is null then
    create function auth.role() returns text
    language sql stable set search_path = '' as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('auth.email()') is null then
    create function auth.email() returns text
    language sql stable set search_path = '' as $$
      select coalesce(
        nullif(current_setting('request.jwt.claim.email', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
      )::text
    $$;
  end if;
end $do$;
grant execute on all functions in schema auth to anon, authenticated, service_role, "{{MIGRATION_ROLE}}";
grant select on all tables in schema auth to service_role;
grant all on all tables in schema auth to "{{MIGRATION_ROLE}}", dashboard_user;
grant all on all sequences in schema auth to "{{MIGRATION_ROLE}}", dashboard_user;
reset role;

-- storage (storage-api tenant migrations up to 0063) -----------------------------------------------
set role supabase_storage_admin;
do $$ begin
  create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
exception when duplicate_object then null;
end $$;

create table if not exists storage.migrations (
  id integer not null primary key,
  name varchar(100) not null unique,
  hash varchar(40) not null,
  executed_at timestamp default current_timestamp
);

create table if not exists storage.buckets (
  id text not null primary key,
  name text not null,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  public boolean default false,
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  owner_id text,
  type storage.buckettype not null default 'STANDARD',
  versioning_status text not null default 'DISABLED'
    constraint buckets_versioning_status_check check (versioning_status in ('DISABLED', 'ENABLED', 'SUSPENDED'))
);
comment on column storage.buckets.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id uuid not null default gen_random_uuid() primary key,
  bucket_id text references storage.buckets (id),
  name text,
  owner uuid,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  owner_id text,
  user_metadata jsonb,
  archived_at timestamptz,
  is_delete_marker boolean not null default false,
  is_versioned boolean not null default false
);
comment on column storage.objects.owner is 'Field is deprecated, use owner_id instead';
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);
create index if not exists idx_objects_bucket_id_name on storage.objects (bucket_id, name collate "C");

create table if not exists storage.s3_multipart_uploads (
  id text not null primary key,
  in_progress_size bigint not null default 0,
  upload_signature text not null,
  bucket_id text not null references storage.buckets (id),
  key text collate "C" not null,
  version text not null,
  owner_id text,
  created_at timestamptz not null default now(),
  user_metadata jsonb,
  metadata jsonb
);
create table if not exists storage.s3_multipart_uploads_parts (
  id uuid not null default gen_random_uuid() primary key,
  upload_id text not null references storage.s3_multipart_uploads (id) on delete cascade,
  size bigint not null default 0,
  part_number integer not null,
  bucket_id text not null references storage.buckets (id),
  key text collate "C" not null,
  etag text not null,
  owner_id text,
  version text not null,
  created_at timestamptz not null default now()
);
create table if not exists storage.buckets_analytics (
  name text not null,
  type storage.buckettype not null default 'ANALYTICS',
  format text not null default 'ICEBERG',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  id uuid not null default gen_random_uuid() primary key,
  deleted_at timestamptz
);
alter table storage.migrations enable row level security;
alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
alter table storage.s3_multipart_uploads enable row level security;
alter table storage.s3_multipart_uploads_parts enable row level security;
alter table storage.buckets_analytics enable row level security;

-- The helpers storage policies call (as in storage-api 0036/0060/0061).
do $do$ begin
  if to_regprocedure('storage.foldername(text)') is null then
    create function storage.foldername(name text) returns text[]
    language plpgsql immutable as $$
    declare _parts text[];
    begin
      select string_to_array(name, '/') into _parts;
      return _parts[1:array_length(_parts, 1) - 1];
    end $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('storage.filename(text)') is null then
    create function storage.filename(name text) returns text
    language plpgsql immutable as $$
    declare _parts text[];
    begin
      select string_to_array(name, '/') into _parts;
      return _parts[array_length(_parts, 1)];
    end $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('storage.extension(text)') is null then
    create function storage.extension(name text) returns text
    language plpgsql immutable as $$
    declare _parts text[]; _filename text;
    begin
      select string_to_array(name, '/') into _parts;
      select _parts[array_length(_parts, 1)] into _filename;
      return reverse(split_part(reverse(_filename), '.', 1));
    end $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('storage.operation()') is null then
    create function storage.operation() returns text
    language plpgsql stable as $$
    begin
      return current_setting('storage.operation', true);
    end $$;
  end if;
end $do$;
do $do$ begin
  if to_regprocedure('storage.get_size_by_bucket()') is null then
    create function storage.get_size_by_bucket() returns table (size bigint, bucket_id text)
    language sql stable as $$
      select sum((o.metadata ->> 'size')::bigint)::bigint as size, o.bucket_id
      from storage.objects as o
      group by o.bucket_id
    $$;
  end if;
end $do$;
-- The Storage API's listing function (its legacy signature, which migrations and policies call):
-- one level of "folders" and files under a prefix.
do $do$ begin
  if to_regprocedure('storage.search(text, text, integer, integer, integer, text, text, text)') is null then
    create function storage.search(
      prefix text, bucketname text, limits integer default 100, levels integer default 1,
      offsets integer default 0, search text default '', sortcolumn text default 'name',
      sortorder text default 'asc'
    ) returns table (name text, id uuid, updated_at timestamptz, created_at timestamptz,
                     last_accessed_at timestamptz, metadata jsonb)
    language plpgsql stable as $$
    declare
      v_order text := case when lower(sortorder) = 'desc' then 'desc' else 'asc' end;
      v_column text := case when sortcolumn in ('name', 'updated_at', 'created_at', 'last_accessed_at')
                            then sortcolumn else 'name' end;
    begin
      return query execute format(
        'with files as (
           select path_tokens[$1] as name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata,
                  array_length(o.path_tokens, 1) = $1 as is_file
           from storage.objects o
           where o.bucket_id = $2 and o.name ilike $3 || ''%%'' and array_length(o.path_tokens, 1) >= $1
             and ($4 = '''' or path_tokens[$1] ilike ''%%'' || $4 || ''%%''))
         select distinct on (name) name,
                case when is_file then id end, case when is_file then updated_at end,
                case when is_file then created_at end, case when is_file then last_accessed_at end,
                case when is_file then metadata end
         from files order by name, is_file
         limit $5 offset $6')
      using levels, bucketname, prefix, coalesce(search, ''), limits, offsets;
    end $$;
  end if;
end $do$;
grant all on storage.buckets, storage.objects to "{{MIGRATION_ROLE}}" with grant option;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on storage.s3_multipart_uploads, storage.s3_multipart_uploads_parts, storage.buckets_analytics
  to service_role, "{{MIGRATION_ROLE}}";
grant select on storage.s3_multipart_uploads, storage.s3_multipart_uploads_parts to authenticated, anon;
grant select on storage.migrations to "{{MIGRATION_ROLE}}";
grant execute on all functions in schema storage to anon, authenticated, service_role, "{{MIGRATION_ROLE}}";
reset role;

-- realtime (supabase/realtime v2.5x) ---------------------------------------------------------------
set role supabase_realtime_admin;
create table if not exists realtime.schema_migrations (
  version bigint not null primary key,
  inserted_at timestamp(0)
);
-- On Supabase it is partitioned by day on inserted_at (Realtime creates the partitions); a plain
-- table here, so inserts need no partition.
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp not null default now(),
  inserted_at timestamp not null default now(),
  id uuid not null default gen_random_uuid(),
  primary key (id, inserted_at)
);
create index if not exists messages_inserted_at_topic_index on realtime.messages (inserted_at desc, topic)
  where extension = 'broadcast' and private is true;
alter table realtime.messages enable row level security;

do $do$ begin
  if to_regprocedure('realtime.topic()') is null then
    create function realtime.topic() returns text
    language sql stable as $$ select nullif(current_setting('realtime.topic', true), '')::text $$;
  end if;
end $do$;

-- As Realtime's own: a failed insert (e.g. RLS for the caller) becomes a WARNING, never an error.
do $do$ begin
  if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null then
    create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
    returns void language plpgsql as $$
    begin
      begin
        perform set_config('realtime.topic', topic, true);
        insert into realtime.messages (payload, event, topic, private, extension)
        values (payload, event, topic, private, 'broadcast');
      exception when others then
        raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
      end;
    end $$;
  end if;
end $do$;

do $do$ begin
  if to_regprocedure('realtime.broadcast_changes(text, text, text, text, text, record, record, text)') is null then
    create function realtime.broadcast_changes(
      topic_name text, event_name text, operation text, table_name text, table_schema text,
      new record, old record, level text default 'ROW'
    ) returns void language plpgsql as $$
    begin
      if level = 'STATEMENT' then
        raise exception 'function can only be triggered for each row, not for each statement';
      end if;
      if operation not in ('INSERT', 'UPDATE', 'DELETE') then
        raise exception 'Unexpected operation type: %', operation;
      end if;
      perform realtime.send(
        jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                           'table', table_name, 'schema', table_schema),
        event_name, topic_name);
    end $$;
  end if;
end $do$;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;
grant all on realtime.messages to "{{MIGRATION_ROLE}}";
grant select on realtime.schema_migrations to "{{MIGRATION_ROLE}}";
grant execute on all functions in schema realtime to anon, authenticated, service_role, "{{MIGRATION_ROLE}}";
reset role;

-- graphql_public.graphql: the endpoint PostgREST exposes. Supabase creates it with the project and
-- points it at graphql.resolve() while pg_graphql is installed; without pg_graphql it answers with
-- the same error Supabase's placeholder gives.
do $do$ begin
  if to_regprocedure('graphql_public.graphql(text, text, jsonb, jsonb)') is null then
    create function graphql_public.graphql(
      "operationName" text default null, query text default null, variables jsonb default null,
      extensions jsonb default null
    ) returns jsonb
    language plpgsql
    set search_path = pg_catalog, pg_temp
    as $$
    declare result jsonb;
    begin
      if to_regprocedure('graphql.resolve(text, jsonb, text, jsonb)') is null then
        return jsonb_build_object('errors', jsonb_build_array(jsonb_build_object(
          'message', 'pg_graphql extension is not enabled.')));
      end if;
      execute 'select graphql.resolve($1, $2, $3, $4)'
        into result using query, coalesce(variables, '{}'::jsonb), "operationName", extensions;
      return result;
    end $$;
  end if;
end $do$;
grant execute on function graphql_public.graphql(text, text, jsonb, jsonb) to anon, authenticated, service_role, "{{MIGRATION_ROLE}}";

-- Every Supabase project has this publication; migrations "alter publication ... add table".
do $$ begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end $$;
alter publication supabase_realtime owner to "{{MIGRATION_ROLE}}";
