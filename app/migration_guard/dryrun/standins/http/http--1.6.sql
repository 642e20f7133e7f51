-- Migration Guard stand-in for pgsql-http 1.6 (https://github.com/pramsey/pgsql-http, README).
-- The same domains, composite types and function signatures, so migrations that build
-- http_request values or call http_get()/http_post() resolve and type-check. Nothing is sent:
-- every request returns the same synthetic response (status 0, content explaining why) and
-- raises a WARNING that names the URL. The curl options are kept in memory only.
-- Written for Migration Guard; no pgsql-http code is copied.
\echo Use "CREATE EXTENSION http" to load this file. \quit

create domain @extschema@.http_method as text;
create domain @extschema@.content_type as text check (value ~ '^\S+\/\S+');

create type @extschema@.http_header as (field varchar, value varchar);
create type @extschema@.http_response as (
  status integer,
  content_type varchar,
  headers @extschema@.http_header[],
  content varchar
);
create type @extschema@.http_request as (
  method @extschema@.http_method,
  uri varchar,
  headers @extschema@.http_header[],
  content_type varchar,
  content varchar
);

-- curl options: accepted and remembered for the session (custom GUC), never used.
create function @extschema@.http_set_curlopt(curlopt varchar, value varchar) returns boolean
language sql volatile
as $$ select pg_catalog.set_config('migration_guard_http.' || pg_catalog.lower(curlopt), value, false) is not null $$;

create function @extschema@.http_reset_curlopt() returns boolean
language sql volatile as $$ select true $$;

create function @extschema@.http_list_curlopt() returns table (curlopt text, value text)
language sql stable
as $$
  select pg_catalog.substr(name, pg_catalog.length('migration_guard_http.') + 1), setting
  from pg_catalog.pg_settings where name like 'migration\_guard\_http.%'
$$;

create function @extschema@.http_header(field varchar, value varchar) returns @extschema@.http_header
language sql immutable
as $$ select field, value $$;

-- The one place a request would leave the database. It does not.
create function @extschema@.http(request @extschema@.http_request) returns @extschema@.http_response
language plpgsql volatile
as $$
begin
  raise warning 'Migration Guard stand-in for http: % % was not sent (dry run)', request.method, request.uri;
  return (0, 'text/plain', array[]::@extschema@.http_header[],
          'Migration Guard dry run: HTTP requests are not sent')::@extschema@.http_response;
end
$$;

create function @extschema@.http_get(uri varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('GET', uri, null, null, null)::@extschema@.http_request) $$;

create function @extschema@.http_post(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('POST', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_put(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('PUT', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_patch(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('PATCH', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_delete(uri varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('DELETE', uri, null, null, null)::@extschema@.http_request) $$;

create function @extschema@.http_delete(uri varchar, content varchar, content_type varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('DELETE', uri, null, content_type, content)::@extschema@.http_request) $$;

create function @extschema@.http_head(uri varchar) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('HEAD', uri, null, null, null)::@extschema@.http_request) $$;

-- Percent-encoding as RFC 3986 (unreserved characters kept), in SQL.
create function @extschema@.urlencode(string bytea) returns text
language sql immutable strict
as $$
  select coalesce(pg_catalog.string_agg(
    case when b between 48 and 57 or b between 65 and 90 or b between 97 and 122 or b in (45, 46, 95, 126)
         then pg_catalog.chr(b)
         else '%' || pg_catalog.upper(pg_catalog.lpad(pg_catalog.to_hex(b), 2, '0')) end,
    '' order by i), '')
  from pg_catalog.generate_series(0, pg_catalog.length(string) - 1) as i,
       lateral (select pg_catalog.get_byte(string, i) as b) as x
$$;

create function @extschema@.urlencode(string varchar) returns text
language sql immutable strict
as $$ select @extschema@.urlencode(pg_catalog.convert_to(string, 'UTF8')) $$;

create function @extschema@.urlencode(data jsonb) returns text
language sql immutable strict
as $$
  select coalesce(pg_catalog.string_agg(
    @extschema@.urlencode(key::varchar) || '=' || @extschema@.urlencode(value::varchar), '&'), '')
  from pg_catalog.jsonb_each_text(data)
$$;

create function @extschema@.http_get(uri varchar, data jsonb) returns @extschema@.http_response
language sql volatile
as $$ select @extschema@.http(('GET', uri || '?' || @extschema@.urlencode(data), null, null, null)::@extschema@.http_request) $$;

create function @extschema@.http_post(uri varchar, data jsonb) returns @extschema@.http_response
language sql volatile
as $$
  select @extschema@.http(('POST', uri, null, 'application/x-www-form-urlencoded',
                           @extschema@.urlencode(data))::@extschema@.http_request)
$$;

create function @extschema@.text_to_bytea(data text) returns bytea
language sql immutable strict
as $$ select pg_catalog.convert_to(data, pg_catalog.current_setting('server_encoding')) $$;

create function @extschema@.bytea_to_text(data bytea) returns text
language sql immutable strict
as $$ select pg_catalog.convert_from(data, pg_catalog.current_setting('server_encoding')) $$;
