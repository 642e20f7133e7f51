-- Migration Guard stand-in for pgsodium 3.1.8 (https://github.com/michelp/pgsodium, docs).
-- What migrations reference: the key table and its views, create_key(), the deterministic AEAD
-- and secretbox functions, random bytes, and the pgsodium_key* roles. NO cryptography: the
-- "encrypt" functions return the message unchanged (a dry run holds no secrets), so decrypt(encrypt(m))
-- is m, as with the real one. Transparent column encryption (SECURITY LABEL FOR pgsodium) needs
-- pgsodium's label provider and is not available. Written for Migration Guard; no pgsodium code copied.
\echo Use "CREATE EXTENSION pgsodium" to load this file. \quit

do $$
declare r text;
begin
  foreach r in array array['pgsodium_keyiduser', 'pgsodium_keyholder', 'pgsodium_keymaker'] loop
    if not exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('create role %I nologin', r);
    end if;
  end loop;
end $$;

create type pgsodium.key_status as enum ('default', 'valid', 'invalid', 'expired');
create type pgsodium.key_type as enum (
  'aead-ietf', 'aead-det', 'hmacsha512', 'hmacsha256', 'auth', 'shorthash', 'generichash',
  'kdf', 'secretbox', 'secretstream', 'stream_xchacha20');

create table pgsodium.key (
  id uuid primary key default pg_catalog.gen_random_uuid(),
  status pgsodium.key_status default 'valid',
  created timestamptz not null default pg_catalog.now(),
  expires timestamptz,
  key_type pgsodium.key_type,
  key_id bigserial,
  key_context bytea default '\x7067736f6469756d'::bytea,
  name text unique,
  associated_data text default 'associated',
  raw_key bytea,
  raw_key_nonce bytea,
  parent_key uuid references pgsodium.key (id),
  comment text,
  user_data text
);

create view pgsodium.valid_key as
  select id, name, status, key_type, key_id, key_context, created, expires, associated_data
  from pgsodium.key
  where status in ('valid', 'default') and (expires is null or expires > pg_catalog.now());

create view pgsodium.decrypted_key as
  select id, status, created, expires, key_type, key_id, key_context, name, associated_data,
         raw_key, raw_key as decrypted_raw_key, raw_key_nonce, parent_key, comment
  from pgsodium.key;

create function pgsodium.create_key(
  key_type pgsodium.key_type default 'aead-det',
  name text default null,
  raw_key bytea default null,
  raw_key_nonce bytea default null,
  parent_key uuid default null,
  key_context bytea default '\x7067736f6469756d'::bytea,
  expires timestamptz default null,
  associated_data text default ''
) returns pgsodium.valid_key
language sql volatile
as $$
  with k as (
    insert into pgsodium.key (key_type, name, raw_key, raw_key_nonce, parent_key, key_context, expires, associated_data)
    values (key_type, name, raw_key, raw_key_nonce, parent_key, key_context, expires, associated_data)
    returning *
  )
  select (k.id, k.name, k.status, k.key_type, k.key_id, k.key_context, k.created, k.expires, k.associated_data)::pgsodium.valid_key
  from k
$$;

-- Random bytes (not secret-grade: a dry run needs none).
create function pgsodium.randombytes_buf(size integer) returns bytea
language sql volatile
as $$
  select coalesce(pg_catalog.substr(pg_catalog.string_agg(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), ''::bytea), 1, size), ''::bytea)
  from pg_catalog.generate_series(1, (size + 15) / 16)
$$;
create function pgsodium.randombytes_random() returns integer
language sql volatile as $$ select (pg_catalog.random() * 2147483647)::integer $$;
create function pgsodium.randombytes_uniform(upper_bound integer) returns integer
language sql volatile as $$ select (pg_catalog.random() * upper_bound)::integer % greatest(upper_bound, 1) $$;

create function pgsodium.crypto_aead_det_noncegen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(16) $$;
create function pgsodium.crypto_aead_ietf_noncegen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(12) $$;
create function pgsodium.crypto_secretbox_noncegen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(24) $$;
create function pgsodium.crypto_secretbox_keygen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(32) $$;
create function pgsodium.crypto_aead_det_keygen() returns bytea
language sql volatile as $$ select pgsodium.randombytes_buf(32) $$;

-- Pass-through "encryption", with pgsodium's overloads (key bytea, key id, key uuid).
create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key bytea, nonce bytea default null)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_id bigint, context bytea default 'pgsodium', nonce bytea default null)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_encrypt(message bytea, additional bytea, key_uuid uuid)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key bytea, nonce bytea default null)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_id bigint, context bytea default 'pgsodium', nonce bytea default null)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid, nonce bytea)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_det_decrypt(message bytea, additional bytea, key_uuid uuid)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_ietf_encrypt(message bytea, additional bytea, nonce bytea, key_uuid uuid)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_aead_ietf_decrypt(message bytea, additional bytea, nonce bytea, key_uuid uuid)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_secretbox(message bytea, nonce bytea, key bytea)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_secretbox(message bytea, nonce bytea, key_uuid uuid)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_secretbox_open(message bytea, nonce bytea, key bytea)
returns bytea language sql immutable as $$ select message $$;
create function pgsodium.crypto_secretbox_open(message bytea, nonce bytea, key_uuid uuid)
returns bytea language sql immutable as $$ select message $$;

-- Hashes are real (sha256 from core), just not libsodium's algorithms.
create function pgsodium.crypto_generichash(message bytea, key bytea default null)
returns bytea language sql immutable as $$ select pg_catalog.sha256(message || coalesce(key, ''::bytea)) $$;

do $$
declare r text;
begin
  foreach r in array array['postgres', session_user::text, 'service_role', 'pgsodium_keyiduser', 'pgsodium_keyholder', 'pgsodium_keymaker'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant usage on schema pgsodium to %I', r);
      execute pg_catalog.format('grant select on pgsodium.key, pgsodium.valid_key, pgsodium.decrypted_key to %I', r);
    end if;
  end loop;
  foreach r in array array['postgres', session_user::text] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant all on pgsodium.key, pgsodium.valid_key, pgsodium.decrypted_key to %I with grant option', r);
      execute pg_catalog.format('grant usage on sequence pgsodium.key_key_id_seq to %I', r);
    end if;
  end loop;
end $$;
