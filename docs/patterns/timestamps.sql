-- intent: articles with created_at and an updated_at that a trigger keeps current on every update
-- depends-on:
-- data-migration: no

-- One trigger function for every table with an updated_at column.
create function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create table public.articles (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create index articles_user_id_idx on public.articles (user_id);

create trigger articles_set_updated_at
  before update on public.articles
  for each row
  execute function public.set_updated_at();

alter table public.articles enable row level security;

create policy "articles: owner manages" on public.articles
  for all to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);
