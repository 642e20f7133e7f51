-- intent: posts that are archived (archived_at) instead of deleted, hidden from users by policy
-- depends-on:
-- data-migration: no

create table public.posts (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null,
  created_at timestamptz not null default now(),
  archived_at timestamptz
);

-- For the foreign key (deleting a user looks up all their posts, archived or not).
create index posts_user_id_idx on public.posts (user_id);
-- For the app's queries, which only ever read live rows: small, and skips archived ones.
create index posts_live_user_created_idx on public.posts (user_id, created_at desc)
  where archived_at is null;

alter table public.posts enable row level security;

-- Live rows only: archived posts disappear from every query users make.
create policy "posts: owner reads live posts" on public.posts
  for select to authenticated
  using ((select auth.uid()) = user_id and archived_at is null);

create policy "posts: owner inserts" on public.posts
  for insert to authenticated
  with check ((select auth.uid()) = user_id and archived_at is null);

-- Users edit live posts only. Archiving is not done with this policy: PostgreSQL checks the new
-- row of an UPDATE against the SELECT policies too, and an archived row fails "archived_at is null".
create policy "posts: owner updates live posts" on public.posts
  for update to authenticated
  using ((select auth.uid()) = user_id and archived_at is null)
  with check ((select auth.uid()) = user_id and archived_at is null);

-- No delete policy: users archive, they never delete (the service role still can).

-- Archive through this function: it runs as the table owner (security definer), so it checks
-- ownership itself. Returns false when there was nothing of the caller's to archive.
create function public.archive_post(p_id bigint) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.posts set archived_at = now()
  where id = p_id and user_id = auth.uid() and archived_at is null;
  return found;
end
$$;

revoke execute on function public.archive_post(bigint) from public, anon;
grant execute on function public.archive_post(bigint) to authenticated;
