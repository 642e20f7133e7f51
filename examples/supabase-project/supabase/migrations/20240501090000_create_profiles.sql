-- intent: a public profile for every signed-up user, readable by signed-in users, editable by its owner
-- depends-on:
-- data-migration: no

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  username text not null unique check (char_length(username) between 3 and 30),
  full_name text,
  avatar_url text,
  created_at timestamptz not null default now()
);

alter table public.profiles enable row level security;

create policy "profiles: signed-in users read" on public.profiles
  for select to authenticated
  using (true);

create policy "profiles: owner inserts" on public.profiles
  for insert to authenticated
  with check ((select auth.uid()) = id);

create policy "profiles: owner updates" on public.profiles
  for update to authenticated
  using ((select auth.uid()) = id)
  with check ((select auth.uid()) = id);
