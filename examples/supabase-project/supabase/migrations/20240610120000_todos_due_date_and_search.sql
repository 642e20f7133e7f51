-- intent: due dates on todos, and a faster "my open todos by due date" list
-- depends-on: 20240503090000
-- data-migration: no

-- A nullable column with no default: instant, no rewrite, nothing to backfill.
alter table public.todos add column due_on date;

-- BLOCKED by migration-guard (index-not-concurrent): todos already holds data, and a plain
-- CREATE INDEX blocks every insert, update and delete on it until the build ends.
-- The safe alternative is a separate migration holding only:
--   -- migration-guard: no-transaction
--   create index concurrently if not exists todos_owner_open_due_idx
--     on public.todos (owner_id, due_on) where done = false;
create index todos_owner_open_due_idx on public.todos (owner_id, due_on) where done = false;

-- A reasoned suppression: the team accepts this rule here and says why (kept in every report).
-- migration-guard: allow drop-not-null -- titles become optional; the app shows "Untitled" since v2.3
alter table public.todos alter column title drop not null;
