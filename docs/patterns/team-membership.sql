-- intent: teams, their members, and projects that every member of the team (and nobody else) can use
-- depends-on:
-- data-migration: no

create table public.teams (
  id bigint generated always as identity primary key,
  name text not null,
  created_at timestamptz not null default now()
);

create table public.team_members (
  team_id bigint not null references public.teams (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role text not null default 'member' check (role in ('owner', 'member')),
  primary key (team_id, user_id)
);

-- The primary key serves lookups by team; "which teams am I in" needs user_id first.
create index team_members_user_id_idx on public.team_members (user_id);

create table public.projects (
  id bigint generated always as identity primary key,
  team_id bigint not null references public.teams (id) on delete cascade,
  name text not null,
  created_at timestamptz not null default now()
);

create index projects_team_id_idx on public.projects (team_id);

-- Membership checks run as the function's owner (security definer), so policies on team_members
-- can use them without recursing into team_members' own policies.
create function public.is_team_member(p_team_id bigint) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.team_members m
    where m.team_id = p_team_id and m.user_id = (select auth.uid())
  )
$$;

create function public.is_team_owner(p_team_id bigint) returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.team_members m
    where m.team_id = p_team_id and m.user_id = (select auth.uid()) and m.role = 'owner'
  )
$$;

-- Creating a team makes the caller its owner, atomically.
create function public.create_team(p_name text) returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  new_id bigint;
begin
  if auth.uid() is null then
    raise exception 'create_team: not signed in';
  end if;
  insert into public.teams (name) values (p_name) returning id into new_id;
  insert into public.team_members (team_id, user_id, role) values (new_id, auth.uid(), 'owner');
  return new_id;
end
$$;

revoke execute on function public.is_team_member(bigint) from public, anon;
revoke execute on function public.is_team_owner(bigint) from public, anon;
revoke execute on function public.create_team(text) from public, anon;
grant execute on function public.is_team_member(bigint) to authenticated;
grant execute on function public.is_team_owner(bigint) to authenticated;
grant execute on function public.create_team(text) to authenticated;

alter table public.teams enable row level security;
alter table public.team_members enable row level security;
alter table public.projects enable row level security;

create policy "teams: members read" on public.teams
  for select to authenticated
  using (public.is_team_member(id));

create policy "teams: owners rename" on public.teams
  for update to authenticated
  using (public.is_team_owner(id))
  with check (public.is_team_owner(id));

create policy "team_members: members see each other" on public.team_members
  for select to authenticated
  using (public.is_team_member(team_id));

create policy "team_members: owners add" on public.team_members
  for insert to authenticated
  with check (public.is_team_owner(team_id));

create policy "team_members: owners remove, members leave" on public.team_members
  for delete to authenticated
  using (public.is_team_owner(team_id) or user_id = (select auth.uid()));

create policy "projects: members read" on public.projects
  for select to authenticated
  using (public.is_team_member(team_id));

create policy "projects: members create" on public.projects
  for insert to authenticated
  with check (public.is_team_member(team_id));

create policy "projects: members update" on public.projects
  for update to authenticated
  using (public.is_team_member(team_id))
  with check (public.is_team_member(team_id));

create policy "projects: members delete" on public.projects
  for delete to authenticated
  using (public.is_team_member(team_id));
