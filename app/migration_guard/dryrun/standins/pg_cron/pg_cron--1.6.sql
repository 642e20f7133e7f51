-- Migration Guard stand-in for pg_cron 1.6: the schema, tables and functions migrations call.
-- Jobs are recorded and never run (the dry-run server lives for seconds). Schedules are checked
-- like pg_cron 1.6 checks them: five cron fields, '@'-names, '$' for the last day of the month,
-- or 'N seconds' (1-59). No SECURITY DEFINER: rows carry current_user and RLS shows each role its
-- own jobs, as in pg_cron.
\echo Use "CREATE EXTENSION pg_cron" to load this file. \quit

create table cron.job (
  jobid bigserial primary key,
  schedule text not null,
  command text not null,
  nodename text not null default 'localhost',
  nodeport integer not null default coalesce(pg_catalog.inet_server_port(), 5432),
  database text not null default pg_catalog.current_database(),
  username text not null default current_user,
  active boolean not null default true,
  jobname text
);
create unique index jobname_username_uniq on cron.job (jobname, username);

create table cron.job_run_details (
  jobid bigint,
  runid bigserial primary key,
  job_pid integer,
  database text,
  username text,
  command text,
  status text,
  return_message text,
  start_time timestamptz,
  end_time timestamptz
);

alter table cron.job enable row level security;
alter table cron.job_run_details enable row level security;
create policy cron_job_policy on cron.job using (username operator(pg_catalog.=) current_user);
create policy cron_job_run_details_policy on cron.job_run_details using (username operator(pg_catalog.=) current_user);
grant usage on schema cron to public;
grant select, insert, update, delete on cron.job, cron.job_run_details to public;
grant usage, select on sequence cron.job_jobid_seq, cron.job_run_details_runid_seq to public;

create function cron._check_schedule(schedule text) returns void
language plpgsql immutable set search_path = pg_catalog, pg_temp as $$
declare
  field text := '(\*|[0-9]+(-[0-9]+)?|[a-z]{3}(-[a-z]{3})?)(/[0-9]+)?';
  list text := field || '(,' || field || ')*';
begin
  if schedule is null
     or schedule ~* ('^\s*' || list || '\s+' || list || '\s+(' || list || '|\$)\s+' || list || '\s+' || list || '\s*$')
     or schedule ~* '^\s*@(yearly|annually|monthly|weekly|daily|hourly|reboot)\s*$'
     or (schedule ~* '^\s*[0-9]+\s+seconds?\s*$' and substring(schedule from '[0-9]+')::int between 1 and 59) then
    return;
  end if;
  raise exception 'invalid schedule: %', schedule using errcode = '22023';
end $$;

create function cron.schedule(schedule text, command text) returns bigint
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare id bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (schedule, command) values (schedule, command) returning jobid into id;
  return id;
end $$;

create function cron.schedule(job_name text, schedule text, command text) returns bigint
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare id bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command
  returning jobid into id;
  return id;
end $$;

create function cron.schedule_in_database(job_name text, schedule text, command text, database text,
  username text default null, active boolean default true) returns bigint
language plpgsql set search_path = pg_catalog, pg_temp as $$
declare id bigint;
begin
  perform cron._check_schedule(schedule);
  insert into cron.job (jobname, schedule, command, database, username, active)
  values (job_name, schedule, command, database, coalesce(username, current_user), active)
  on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command,
    database = excluded.database, active = excluded.active
  returning jobid into id;
  return id;
end $$;

create function cron.unschedule(job_id bigint) returns boolean
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  delete from cron.job where jobid operator(pg_catalog.=) job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id using errcode = '22023';
  end if;
  return true;
end $$;

create function cron.unschedule(job_name text) returns boolean
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  delete from cron.job where jobname operator(pg_catalog.=) job_name and username operator(pg_catalog.=) current_user;
  if not found then
    raise exception 'could not find valid entry for job ''%''', job_name using errcode = '22023';
  end if;
  return true;
end $$;

create function cron.alter_job(job_id bigint, schedule text default null, command text default null,
  database text default null, username text default null, active boolean default null) returns void
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  if schedule is not null then
    perform cron._check_schedule(schedule);
  end if;
  update cron.job j set schedule = coalesce(alter_job.schedule, j.schedule),
    command = coalesce(alter_job.command, j.command), database = coalesce(alter_job.database, j.database),
    username = coalesce(alter_job.username, j.username), active = coalesce(alter_job.active, j.active)
  where j.jobid operator(pg_catalog.=) job_id;
  if not found then
    raise exception 'could not find valid entry for job %', job_id using errcode = '22023';
  end if;
end $$;
