-- migration-guard: no-transaction
-- intent: index the existing todos table for "my open todos, newest first" without blocking writes
-- depends-on:
-- data-migration: no

-- CREATE INDEX CONCURRENTLY cannot run inside a transaction, so this file holds nothing else and
-- says so on its first line. It takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go on.
-- IF NOT EXISTS makes a re-run after a failure safe (an INVALID leftover must be dropped first).

-- A partial index: only open todos are indexed, so it stays small and matches the app's query
--   select … from todos where owner_id = $1 and done = false order by created_at desc
create index concurrently if not exists todos_owner_open_idx
  on public.todos (owner_id, created_at desc)
  where done = false;

-- A plain index for the foreign key (deletes of a user look up their todos).
create index concurrently if not exists todos_owner_id_idx
  on public.todos (owner_id);
