#!/bin/sh
# initdb into $PGDATA on first start (trust auth, as POSTGRES_HOST_AUTH_METHOD=trust asks), then
# exec the command as `postgres` so the server is PID 1 and gets the engine's stop signal.
set -eu
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  setpriv --reuid=postgres --regid=postgres --init-groups \
    initdb -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  printf "host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n" >> "$PGDATA/pg_hba.conf"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
