-- intent: track when a todo last changed, kept current by a trigger
-- depends-on: 20240502090000
-- data-migration: no

create function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- now() is stable: no table rewrite on PostgreSQL 11+, existing rows get the migration's time.
alter table public.todos add column updated_at timestamptz not null default now();

create trigger todos_set_updated_at
  before update on public.todos
  for each row
  execute function public.set_updated_at();
