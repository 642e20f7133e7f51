-- Migration Guard stand-in for pgjwt 0.2.0 (https://github.com/michelp/pgjwt, README).
-- pgjwt is plain SQL over pgcrypto's hmac(), so this one is real: sign() makes HS256/HS384/HS512
-- tokens and verify() checks them. Signatures match pgjwt's. Written for Migration Guard; no
-- pgjwt code is copied.
\echo Use "CREATE EXTENSION pgjwt" to load this file. \quit

create function @extschema@.url_encode(data bytea) returns text
language sql immutable
as $$ select pg_catalog.translate(pg_catalog.encode(data, 'base64'), E'+/=\n', '-_') $$;

create function @extschema@.url_decode(data text) returns bytea
language sql immutable
as $$
  with t as (select pg_catalog.translate(data, '-_', '+/') as s)
  select pg_catalog.decode(t.s || pg_catalog.repeat('=', (4 - pg_catalog.length(t.s) % 4) % 4), 'base64') from t
$$;

create function @extschema@.try_cast_double(inp text) returns double precision
language plpgsql immutable
as $$
begin
  begin
    return inp::double precision;
  exception when others then
    return null;
  end;
end
$$;

-- hmac() lives wherever pgcrypto was installed (on Supabase: extensions); resolve it now, so the
-- functions never depend on the caller's search_path.
do $$
declare crypto name := (select n.nspname from pg_catalog.pg_extension e
                        join pg_catalog.pg_namespace n on n.oid = e.extnamespace
                        where e.extname = 'pgcrypto');
begin
  execute pg_catalog.format($f$
    create function @extschema@.algorithm_sign(signables text, secret text, algorithm text) returns text
    language sql immutable
    as $b$
      select @extschema@.url_encode(%1$I.hmac(signables, secret,
        case algorithm when 'HS256' then 'sha256' when 'HS384' then 'sha384' when 'HS512' then 'sha512' else '' end))
    $b$ $f$, crypto);
end $$;

create function @extschema@.sign(payload json, secret text, algorithm text default 'HS256') returns text
language sql immutable
as $$
  with header as (
    select @extschema@.url_encode(pg_catalog.convert_to('{"alg":"' || algorithm || '","typ":"JWT"}', 'utf8')) as data
  ), body as (
    select @extschema@.url_encode(pg_catalog.convert_to(payload::text, 'utf8')) as data
  ), signables as (
    select header.data || '.' || body.data as data from header, body
  )
  select signables.data || '.' || @extschema@.algorithm_sign(signables.data, secret, algorithm) from signables
$$;

create function @extschema@.verify(token text, secret text, algorithm text default 'HS256')
returns table (header json, payload json, valid boolean)
language sql immutable
as $$
  select
    pg_catalog.convert_from(@extschema@.url_decode(r[1]), 'utf8')::json as header,
    pg_catalog.convert_from(@extschema@.url_decode(r[2]), 'utf8')::json as payload,
    r[3] = @extschema@.algorithm_sign(r[1] || '.' || r[2], secret, algorithm)
      and coalesce(@extschema@.try_cast_double(
        pg_catalog.convert_from(@extschema@.url_decode(r[2]), 'utf8')::json ->> 'exp')
        > pg_catalog.date_part('epoch', pg_catalog.now()), true)
      and coalesce(@extschema@.try_cast_double(
        pg_catalog.convert_from(@extschema@.url_decode(r[2]), 'utf8')::json ->> 'nbf')
        <= pg_catalog.date_part('epoch', pg_catalog.now()), true) as valid
  from (select pg_catalog.regexp_split_to_array(token, '\.') as r) as parts
$$;
