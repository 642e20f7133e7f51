-- Migration Guard stand-in for supabase_vault 0.3.1 (https://github.com/supabase/vault, README).
-- The same table, view and functions, so migrations that read vault.decrypted_secrets or call
-- vault.create_secret()/update_secret() resolve and type-check. There is no encryption key: the
-- secret column holds the text as given and decrypted_secret shows it back. A dry-run database
-- is thrown away and never holds real secrets. Written for Migration Guard; no Vault code copied.
\echo Use "CREATE EXTENSION supabase_vault" to load this file. \quit

create table vault.secrets (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea,
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
comment on table vault.secrets is 'Table with encrypted `secret` column for storing sensitive information on disk.';
create unique index secrets_name_idx on vault.secrets using btree (name) where name is not null;

-- decrypted_secret is an expression (as the real view's decryption is): not updatable, but rows
-- of the view can be deleted, as migrations do (`delete from vault.decrypted_secrets where name = ...`).
create view vault.decrypted_secrets as
  select s.id, s.name, s.description, s.secret,
         pg_catalog.convert_from(pg_catalog.convert_to(s.secret, 'utf8'), 'utf8') as decrypted_secret,
         s.key_id, s.nonce, s.created_at, s.updated_at
  from vault.secrets s;

create function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default '',
  new_key_id uuid default null  -- unused, as in Vault 0.3
) returns uuid
language sql volatile
set search_path = ''
as $$
  insert into vault.secrets (secret, name, description)
  values (new_secret, new_name, new_description)
  returning id
$$;

create function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null  -- unused, as in Vault 0.3
) returns void
language sql volatile
set search_path = ''
as $$
  update vault.secrets s
  set secret = coalesce(new_secret, s.secret),
      name = coalesce(new_name, s.name),
      description = coalesce(new_description, s.description),
      updated_at = pg_catalog.now()
  where s.id = secret_id
$$;

-- As on Supabase: postgres and service_role manage secrets (the API roles do not).
do $$
declare r text;
begin
  foreach r in array array['postgres', session_user::text, 'service_role'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant usage on schema vault to %I with grant option', r);
      execute pg_catalog.format('grant select, delete, insert, update on vault.secrets, vault.decrypted_secrets to %I with grant option', r);
      execute pg_catalog.format('grant execute on function vault.create_secret(text, text, text, uuid), vault.update_secret(uuid, text, text, text, uuid) to %I with grant option', r);
    end if;
  end loop;
end $$;
