-- intent: documents their owners manage, plus admins (app_metadata.role = 'admin' claim) who manage all
-- depends-on:
-- data-migration: no

-- True when the caller's JWT carries app_metadata.role = 'admin'. app_metadata can only be set
-- with the service role key (never by the user, unlike user_metadata), so users cannot promote
-- themselves. Stable and search_path-pinned, so it is cheap and cannot be hijacked.
create function public.is_admin() returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin', false)
$$;

create table public.documents (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null,
  created_at timestamptz not null default now()
);

create index documents_user_id_idx on public.documents (user_id);

alter table public.documents enable row level security;

create policy "documents: owner or admin reads" on public.documents
  for select to authenticated
  using ((select auth.uid()) = user_id or (select public.is_admin()));

create policy "documents: owner inserts" on public.documents
  for insert to authenticated
  with check ((select auth.uid()) = user_id);

create policy "documents: owner or admin updates" on public.documents
  for update to authenticated
  using ((select auth.uid()) = user_id or (select public.is_admin()))
  with check ((select auth.uid()) = user_id or (select public.is_admin()));

create policy "documents: owner or admin deletes" on public.documents
  for delete to authenticated
  using ((select auth.uid()) = user_id or (select public.is_admin()));
