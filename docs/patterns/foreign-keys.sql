-- intent: projects and tasks showing the three ON DELETE choices, each foreign key with its index
-- depends-on:
-- data-migration: no

-- A lookup table: rows are referenced, never casually deleted.
create table public.task_statuses (
  id bigint generated always as identity primary key,
  name text not null unique
);

create table public.projects (
  id bigint generated always as identity primary key,
  -- CASCADE: a project belongs to its owner; deleting the user deletes their projects.
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  name text not null
);

create table public.tasks (
  id bigint generated always as identity primary key,
  -- CASCADE: tasks cannot exist without their project.
  project_id bigint not null references public.projects (id) on delete cascade,
  -- SET NULL: when the assignee's account goes, the task stays, unassigned.
  assignee_id uuid references auth.users (id) on delete set null,
  -- RESTRICT: a status still in use cannot be deleted (the delete fails with an error).
  status_id bigint not null references public.task_statuses (id) on delete restrict,
  title text not null
);

-- PostgreSQL indexes the referenced side (primary keys) but never the referencing columns.
-- Without these, every delete of a project, user or status scans all of tasks, under lock.
create index projects_owner_id_idx on public.projects (owner_id);
create index tasks_project_id_idx on public.tasks (project_id);
create index tasks_assignee_id_idx on public.tasks (assignee_id);
create index tasks_status_id_idx on public.tasks (status_id);

alter table public.task_statuses enable row level security;
alter table public.projects enable row level security;
alter table public.tasks enable row level security;

create policy "task_statuses: everyone signed in reads" on public.task_statuses
  for select to authenticated
  using (true);

create policy "projects: owner manages" on public.projects
  for all to authenticated
  using ((select auth.uid()) = owner_id)
  with check ((select auth.uid()) = owner_id);

create policy "tasks: project owner manages" on public.tasks
  for all to authenticated
  using (exists (select 1 from public.projects p where p.id = project_id and p.owner_id = (select auth.uid())))
  with check (exists (select 1 from public.projects p where p.id = project_id and p.owner_id = (select auth.uid())));
