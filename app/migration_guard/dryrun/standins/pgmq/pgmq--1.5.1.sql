-- Migration Guard stand-in for pgmq 1.5.1 (https://github.com/pgmq/pgmq, docs/api).
-- pgmq is SQL on ordinary tables, so this one works: pgmq.create() makes pgmq.q_<name> and
-- pgmq.a_<name> and registers the queue in pgmq.meta; send/read/pop/archive/delete/set_vt move
-- real rows. Types and signatures are pgmq 1.5.1's (message_record has `headers`, which pgflow
-- checks for). Not modelled: partitioned queues (create_partitioned makes a plain queue, as
-- pg_partman's maintenance never runs in a dry run), and notify/topic features of later pgmq
-- versions. Written for Migration Guard; no pgmq code is copied.
\echo Use "CREATE EXTENSION pgmq" to load this file. \quit

create table pgmq.meta (
  queue_name varchar unique not null,
  is_partitioned boolean not null,
  is_unlogged boolean not null,
  created_at timestamptz not null default pg_catalog.now()
);

create type pgmq.message_record as (
  msg_id bigint,
  read_ct integer,
  enqueued_at timestamptz,
  vt timestamptz,
  message jsonb,
  headers jsonb
);

create type pgmq.queue_record as (
  queue_name varchar,
  is_partitioned boolean,
  is_unlogged boolean,
  created_at timestamptz
);

create type pgmq.metrics_result as (
  queue_name text,
  queue_length bigint,
  newest_msg_age_sec integer,
  oldest_msg_age_sec integer,
  total_messages bigint,
  scrape_time timestamptz,
  queue_visible_length bigint
);

-- Queue table names; the checks keep a queue name from being SQL.
create function pgmq.format_table_name(queue_name text, prefix text) returns text
language plpgsql immutable
as $$
begin
  if queue_name ~ '\$|;|--|''' then
    raise exception 'queue name contains invalid characters: $, ;, --, or \''';
  end if;
  return pg_catalog.lower(prefix || '_' || queue_name);
end
$$;

create function pgmq.validate_queue_name(queue_name text) returns void
language plpgsql immutable
as $$
begin
  if pg_catalog.length(queue_name) > 47 then
    raise exception 'queue name is too long, maximum length is 47 characters';
  end if;
end
$$;

create function pgmq.acquire_queue_lock(queue_name text) returns void
language sql volatile
as $$ select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pgmq.queue_' || queue_name)) $$;

create function pgmq._create_queue(queue_name text, unlogged boolean) returns void
language plpgsql volatile
as $$
declare
  qtable text := pgmq.format_table_name(queue_name, 'q');
  atable text := pgmq.format_table_name(queue_name, 'a');
begin
  perform pgmq.validate_queue_name(queue_name);
  perform pgmq.acquire_queue_lock(queue_name);
  execute pg_catalog.format(
    'create %s table if not exists pgmq.%I (
       msg_id bigint primary key generated always as identity,
       read_ct integer default 0 not null,
       enqueued_at timestamptz default pg_catalog.now() not null,
       vt timestamptz not null,
       message jsonb,
       headers jsonb)',
    case when unlogged then 'unlogged' else '' end, qtable);
  execute pg_catalog.format(
    'create table if not exists pgmq.%I (
       msg_id bigint primary key,
       read_ct integer default 0 not null,
       enqueued_at timestamptz default pg_catalog.now() not null,
       archived_at timestamptz default pg_catalog.now() not null,
       vt timestamptz not null,
       message jsonb,
       headers jsonb)', atable);
  execute pg_catalog.format('create index if not exists %I on pgmq.%I (vt asc)', qtable || '_vt_idx', qtable);
  execute pg_catalog.format('create index if not exists %I on pgmq.%I (archived_at)', 'archived_at_idx_' || queue_name, atable);
  insert into pgmq.meta (queue_name, is_partitioned, is_unlogged)
  values (queue_name, false, unlogged)
  on conflict do nothing;
end
$$;

create function pgmq.create_non_partitioned(queue_name text) returns void
language sql volatile as $$ select pgmq._create_queue(queue_name, false) $$;

create function pgmq.create(queue_name text) returns void
language sql volatile as $$ select pgmq._create_queue(queue_name, false) $$;

create function pgmq.create_unlogged(queue_name text) returns void
language sql volatile as $$ select pgmq._create_queue(queue_name, true) $$;

create function pgmq.create_partitioned(
  queue_name text,
  partition_interval text default '10000',
  retention_interval text default '100000'
) returns void
language plpgsql volatile
as $$
begin
  raise notice 'Migration Guard stand-in for pgmq: queue % is created unpartitioned', queue_name;
  perform pgmq._create_queue(queue_name, false);
end
$$;

create function pgmq.drop_queue(queue_name text) returns boolean
language plpgsql volatile
as $$
begin
  perform pgmq.acquire_queue_lock(queue_name);
  if not exists (select 1 from pgmq.meta m where m.queue_name = drop_queue.queue_name) then
    raise notice 'pgmq queue `%` does not exist', queue_name;
    return false;
  end if;
  execute pg_catalog.format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'q'));
  execute pg_catalog.format('drop table if exists pgmq.%I', pgmq.format_table_name(queue_name, 'a'));
  delete from pgmq.meta m where m.queue_name = drop_queue.queue_name;
  return true;
end
$$;

create function pgmq.list_queues() returns setof pgmq.queue_record
language sql stable
as $$ select queue_name, is_partitioned, is_unlogged, created_at from pgmq.meta order by created_at $$;

-- Sending. Every overload of 1.5.1: delay in seconds or as a time, with or without headers.
create function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay timestamptz) returns setof bigint
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'insert into pgmq.%I (vt, message, headers) values ($1, $2, $3) returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using delay, msg, headers;
end
$$;

create function pgmq.send(queue_name text, msg jsonb, headers jsonb, delay integer default 0) returns setof bigint
language sql volatile
as $$ select * from pgmq.send(queue_name, msg, headers, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay)) $$;

create function pgmq.send(queue_name text, msg jsonb, delay timestamptz) returns setof bigint
language sql volatile
as $$ select * from pgmq.send(queue_name, msg, null::jsonb, delay) $$;

create function pgmq.send(queue_name text, msg jsonb, delay integer default 0) returns setof bigint
language sql volatile
as $$ select * from pgmq.send(queue_name, msg, null::jsonb, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay)) $$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay timestamptz) returns setof bigint
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'insert into pgmq.%I (vt, message, headers)
     select $1, m.message, $3[m.ord] from pg_catalog.unnest($2) with ordinality as m(message, ord)
     order by m.ord returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using delay, msgs, headers;
end
$$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], headers jsonb[], delay integer default 0) returns setof bigint
language sql volatile
as $$ select * from pgmq.send_batch(queue_name, msgs, headers, pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay)) $$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay timestamptz) returns setof bigint
language sql volatile
as $$ select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], delay) $$;

create function pgmq.send_batch(queue_name text, msgs jsonb[], delay integer default 0) returns setof bigint
language sql volatile
as $$ select * from pgmq.send_batch(queue_name, msgs, null::jsonb[], pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => delay)) $$;

-- Reading: visible messages (vt passed), oldest first, locked so concurrent readers skip them.
create function pgmq.read(queue_name text, vt integer, qty integer, conditional jsonb default '{}')
returns setof pgmq.message_record
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'with cte as (
       select msg_id from pgmq.%1$I
       where vt <= pg_catalog.clock_timestamp() and ($3 = ''{}''::jsonb or message @> $3)
       order by msg_id asc limit $1 for update skip locked)
     update pgmq.%1$I m
     set vt = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => $2), read_ct = read_ct + 1
     from cte where m.msg_id = cte.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'))
  using qty, vt, coalesce(conditional, '{}'::jsonb);
end
$$;

create function pgmq.read_with_poll(
  queue_name text,
  vt integer,
  qty integer,
  max_poll_seconds integer default 5,
  poll_interval_ms integer default 100,
  conditional jsonb default '{}'
) returns setof pgmq.message_record
language plpgsql volatile
as $$
declare
  stop_at timestamptz := pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => max_poll_seconds);
  r pgmq.message_record;
begin
  loop
    for r in select * from pgmq.read(queue_name, vt, qty, conditional) loop
      return next r;
    end loop;
    if found or pg_catalog.clock_timestamp() >= stop_at then
      return;
    end if;
    perform pg_catalog.pg_sleep(poll_interval_ms::numeric / 1000);
  end loop;
end
$$;

create function pgmq.pop(queue_name text) returns setof pgmq.message_record
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'with cte as (
       select msg_id from pgmq.%1$I where vt <= pg_catalog.clock_timestamp()
       order by msg_id asc limit 1 for update skip locked)
     delete from pgmq.%1$I m using cte where m.msg_id = cte.msg_id
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'));
end
$$;

create function pgmq.set_vt(queue_name text, msg_id bigint, vt integer) returns setof pgmq.message_record
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'update pgmq.%I m set vt = pg_catalog.clock_timestamp() + pg_catalog.make_interval(secs => $2)
     where m.msg_id = $1
     returning m.msg_id, m.read_ct, m.enqueued_at, m.vt, m.message, m.headers',
    pgmq.format_table_name(queue_name, 'q'))
  using msg_id, vt;
end
$$;

create function pgmq.delete(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'delete from pgmq.%I where msg_id = any($1) returning msg_id',
    pgmq.format_table_name(queue_name, 'q'))
  using msg_ids;
end
$$;

create function pgmq.delete(queue_name text, msg_id bigint) returns boolean
language sql volatile
as $$ select exists (select 1 from pgmq.delete(queue_name, array[msg_id])) $$;

create function pgmq.archive(queue_name text, msg_ids bigint[]) returns setof bigint
language plpgsql volatile
as $$
begin
  return query execute pg_catalog.format(
    'with archived as (delete from pgmq.%I where msg_id = any($1) returning *)
     insert into pgmq.%I (msg_id, read_ct, enqueued_at, vt, message, headers)
     select msg_id, read_ct, enqueued_at, vt, message, headers from archived
     returning msg_id',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'a'))
  using msg_ids;
end
$$;

create function pgmq.archive(queue_name text, msg_id bigint) returns boolean
language sql volatile
as $$ select exists (select 1 from pgmq.archive(queue_name, array[msg_id])) $$;

create function pgmq.purge_queue(queue_name text) returns bigint
language plpgsql volatile
as $$
declare deleted bigint;
begin
  execute pg_catalog.format(
    'with d as (delete from pgmq.%I returning 1) select pg_catalog.count(*) from d',
    pgmq.format_table_name(queue_name, 'q'))
  into deleted;
  return deleted;
end
$$;

create function pgmq.metrics(queue_name text) returns pgmq.metrics_result
language plpgsql volatile
as $$
declare result pgmq.metrics_result;
begin
  execute pg_catalog.format(
    'select $1::text, pg_catalog.count(*),
            extract(epoch from pg_catalog.now() - pg_catalog.max(enqueued_at))::integer,
            extract(epoch from pg_catalog.now() - pg_catalog.min(enqueued_at))::integer,
            (select case when is_called then last_value else 0 end from pgmq.%2$I),
            pg_catalog.now(),
            pg_catalog.count(*) filter (where vt <= pg_catalog.clock_timestamp())
     from pgmq.%1$I',
    pgmq.format_table_name(queue_name, 'q'), pgmq.format_table_name(queue_name, 'q') || '_msg_id_seq')
  into result
  using queue_name;
  return result;
end
$$;

create function pgmq.metrics_all() returns setof pgmq.metrics_result
language plpgsql volatile
as $$
declare q record;
begin
  for q in select m.queue_name from pgmq.meta m order by m.queue_name loop
    return next pgmq.metrics(q.queue_name);
  end loop;
end
$$;

create function pgmq.detach_archive(queue_name text) returns void
language sql volatile as $$ select $$;

-- On Supabase (pgmq's after-create script) postgres and the API roles may use the queues.
do $$
declare r text;
begin
  foreach r in array array['postgres', session_user::text, 'anon', 'authenticated', 'service_role'] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant usage on schema pgmq to %I', r);
      execute pg_catalog.format('grant select, insert, update, delete on pgmq.meta to %I', r);
    end if;
  end loop;
  foreach r in array array['postgres', session_user::text] loop
    if exists (select 1 from pg_catalog.pg_roles where rolname = r) then
      execute pg_catalog.format('grant usage, create on schema pgmq to %I', r);
      execute pg_catalog.format('grant all on pgmq.meta to %I with grant option', r);
    end if;
  end loop;
end $$;
