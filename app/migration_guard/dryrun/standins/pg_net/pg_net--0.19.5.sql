-- Migration Guard stand-in for pg_net 0.19.5 (https://github.com/supabase/pg_net, docs/api.md).
-- Same schema, types, tables and function signatures, so migrations that call net.http_* or read
-- net._http_response resolve and type-check. A request is only queued: there is no background
-- worker, nothing is ever sent, and no response row ever appears.
-- Written for Migration Guard; no pg_net code is copied.
\echo Use "CREATE EXTENSION pg_net" to load this file. \quit

-- pg_net always installs into schema net, whatever WITH SCHEMA says (extnamespace is that schema).
create schema if not exists net;

create domain net.http_method as text
  check (value ilike 'get' or value ilike 'post' or value ilike 'delete');

create type net.request_status as enum ('PENDING', 'SUCCESS', 'ERROR');
create type net.http_response as (status_code integer, headers jsonb, body text);
create type net.http_response_result as (status net.request_status, message text, response net.http_response);

-- Requests waiting for the (absent) worker.
create unlogged table net.http_request_queue (
  id bigserial not null,
  method net.http_method not null,
  url text not null,
  headers jsonb,
  body bytea,
  timeout_milliseconds integer not null
);

-- Responses as the worker would record them; stays empty here.
create unlogged table net._http_response (
  id bigint,
  status_code integer,
  content_type text,
  headers jsonb,
  content text,
  timed_out boolean,
  error_msg text,
  created timestamptz not null default pg_catalog.now()
);
create index on net._http_response (created);

-- Percent-encoding (RFC 3986 unreserved characters kept), in SQL rather than pg_net's C helper.
create function net._urlencode_string(string varchar) returns text
language sql immutable strict
as $$
  select coalesce(pg_catalog.string_agg(
    case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
         then pg_catalog.chr(b)
         else '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b), 2, '0')) end,
    '' order by i), '')
  from (select pg_catalog.convert_to(string, 'UTF8') as bytes) as s,
       pg_catalog.generate_series(0, pg_catalog.length(s.bytes) - 1) as i,
       lateral (select pg_catalog.get_byte(s.bytes, i) as b) as x
$$;

-- The URL with its query parameters, as the worker would request it.
create function net._encode_url_with_params(url text, params jsonb) returns text
language sql immutable
as $$
  select case
    when params is null or params = '{}'::jsonb then url
    else url || case when pg_catalog.strpos(url, '?') > 0 then '&' else '?' end
      || (select pg_catalog.string_agg(net._urlencode_string(key) || '=' || net._urlencode_string(value), '&')
          from pg_catalog.jsonb_each_text(params))
  end
$$;

create function net.http_get(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language sql volatile parallel safe strict
as $$
  insert into net.http_request_queue (method, url, headers, timeout_milliseconds)
  values ('GET', net._encode_url_with_params(url, params), headers, timeout_milliseconds)
  returning id
$$;

create function net.http_post(
  url text,
  body jsonb default '{}'::jsonb,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{"Content-Type": "application/json"}'::jsonb,
  timeout_milliseconds integer default 5000
) returns bigint
language plpgsql volatile parallel safe
as $$
declare
  content_type text;
  request_id bigint;
begin
  -- The checks pg_net makes before queueing, so a call that fails on Supabase fails here too.
  select v into content_type
  from pg_catalog.jsonb_each_text(coalesce(headers, '{}'::jsonb)) as h(k, v)
  where pg_catalog.lower(k) = 'content-type'
  limit 1;
  if content_type is null then
    headers := coalesce(headers, '{}'::jsonb) || '{"Content-Type": "application/json"}'::jsonb;
  elsif content_type <> 'application/json' then
    raise exception 'Content-Type header must be "application/json"';
  end if;
  if body is null then
    raise exception 'body must not be null';
  end if;
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('POST', net._encode_url_with_params(url, params), headers,
          pg_catalog.convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id into request_id;
  return request_id;
end
$$;

create function net.http_delete(
  url text,
  params jsonb default '{}'::jsonb,
  headers jsonb default '{}'::jsonb,
  timeout_milliseconds integer default 5000,
  body jsonb default null::jsonb
) returns bigint
language sql volatile parallel safe
as $$
  insert into net.http_request_queue (method, url, headers, body, timeout_milliseconds)
  values ('DELETE', net._encode_url_with_params(url, params), headers,
          pg_catalog.convert_to(body::text, 'UTF8'), timeout_milliseconds)
  returning id
$$;

create function net._http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language sql volatile strict
as $$
  select coalesce(
    (select ('SUCCESS', 'ok', (r.status_code, r.headers, r.content)::net.http_response)::net.http_response_result
     from net._http_response r where r.id = request_id),
    ('PENDING', 'request is pending processing', null)::net.http_response_result)
$$;

create function net.http_collect_response(request_id bigint, async boolean default true)
returns net.http_response_result
language sql volatile strict
as $$ select net._http_collect_response(request_id, async) $$;

-- Worker controls: there is no worker; they answer as an idle one would.
create function net.check_worker_is_up() returns void language sql as $$ select $$;
create function net.worker_restart() returns boolean language sql as $$ select true $$;
create function net.wake() returns void language sql as $$ select $$;

-- As on Supabase: the API roles may call the functions (which write the queue as the caller).
do $$
declare r text;
begin
  foreach r in array array['postgres', session_user::text, 'anon', 'authenticated', 'service_role', 'supabase_functions_admin'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant usage on schema net to %I', r);
      execute pg_catalog.format('grant select, insert on net.http_request_queue to %I', r);
      execute pg_catalog.format('grant usage on sequence net.http_request_queue_id_seq to %I', r);
      execute pg_catalog.format('grant select on net._http_response to %I', r);
    end if;
  end loop;
  foreach r in array array['postgres', session_user::text] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant all on net.http_request_queue, net._http_response to %I with grant option', r);
    end if;
  end loop;
end $$;
