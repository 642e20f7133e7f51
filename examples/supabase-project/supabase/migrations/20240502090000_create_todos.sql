-- intent: todos owned by a profile, private to their owner
-- depends-on: 20240501090000
-- data-migration: no

create table public.todos (
  id bigint generated always as identity primary key,
  owner_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  title text not null check (char_length(title) <= 200),
  done boolean not null default false,
  created_at timestamptz not null default now()
);

create index todos_owner_id_idx on public.todos (owner_id);

alter table public.todos enable row level security;

create policy "todos: owner manages" on public.todos
  for all to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);
