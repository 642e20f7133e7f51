-- intent: private notes that only their owner can read and write (row-level security on auth.uid())
-- depends-on:
-- data-migration: no

create table public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  body text not null,
  created_at timestamptz not null default now()
);

-- Every policy filters on user_id, and the foreign key's ON DELETE needs it too.
create index notes_user_id_idx on public.notes (user_id);

alter table public.notes enable row level security;

-- One policy per command, each only for signed-in users: anon gets nothing.
-- (select auth.uid()) is evaluated once per query instead of once per row.
create policy "notes: owner reads" on public.notes
  for select to authenticated
  using ((select auth.uid()) = user_id);

create policy "notes: owner inserts" on public.notes
  for insert to authenticated
  with check ((select auth.uid()) = user_id);

create policy "notes: owner updates" on public.notes
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

create policy "notes: owner deletes" on public.notes
  for delete to authenticated
  using ((select auth.uid()) = user_id);
