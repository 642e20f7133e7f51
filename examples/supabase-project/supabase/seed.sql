-- Local development data (loaded by `migration-guard reset` and `supabase db reset`).
insert into auth.users (id, email, aud, role, email_confirmed_at, created_at, updated_at)
values
  ('11111111-1111-1111-1111-111111111111', 'alice@example.com', 'authenticated', 'authenticated', now(), now(), now()),
  ('22222222-2222-2222-2222-222222222222', 'bob@example.com', 'authenticated', 'authenticated', now(), now(), now())
on conflict (id) do nothing;

insert into public.profiles (id, username, full_name)
values
  ('11111111-1111-1111-1111-111111111111', 'alice', 'Alice Example'),
  ('22222222-2222-2222-2222-222222222222', 'bob', 'Bob Example')
on conflict (id) do nothing;

insert into public.todos (owner_id, title, done)
values
  ('11111111-1111-1111-1111-111111111111', 'Try migration-guard check', true),
  ('11111111-1111-1111-1111-111111111111', 'Read the schema patterns', false),
  ('22222222-2222-2222-2222-222222222222', 'Write a safe migration', false);
