# Migration Guard's GitHub Action image: Python + PostgreSQL server binaries for the dry run + git.
#
# PostgreSQL major: 15, the major hosted Supabase projects run (and Debian bookworm's own package).
# To dry-run on another major, build with `--build-arg PG_MAJOR=16` after adding the PGDG apt
# repository (apt.postgresql.org: its signing key and `bookworm-pgdg` source list) in both apt
# steps below; postgresql-<major> from there has the same layout (/usr/lib/postgresql/<major>/bin).
# Pinned base: a Python minor and a Debian release, so a rebuild gets the same PostgreSQL major.
#
# Two stages. `build` compiles (gcc, strip, PostgreSQL headers) and fills a virtualenv; the final
# image gets only its results: the virtualenv and two .so files. Sizes per layer: docs/action.md.
ARG PG_MAJOR=15

FROM python:3.11-slim-bookworm AS build
ARG PG_MAJOR
# Compilers for pgext/, strip for the wheels' shared libraries, pg_config and PGXS (in the client
# package). The server headers come straight from the postgresql-server-dev package's files:
# installing it would pull clang and LLVM (hundreds of MB) that a build without bitcode
# (pgext/Makefile) never uses.
# libpq-dev (and Python's headers, which a Debian-Python base lacks) build psycopg's C module.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev make binutils \
      "postgresql-client-${PG_MAJOR}" libpq-dev \
 && (python -c "import os, sys, sysconfig; sys.exit(not os.path.exists(sysconfig.get_paths()['include'] + '/Python.h'))" \
     || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-dev) \
 && cd /tmp && apt-get download "postgresql-server-dev-${PG_MAJOR}" \
 && dpkg-deb -x postgresql-server-dev-*.deb / && rm -f /tmp/*.deb \
 && rm -rf /var/lib/apt/lists/*

# Dependencies change less often than the code: install them from pyproject.toml alone first, so
# this layer is reused until the dependency list changes; then pgext, then the package itself.
# A virtualenv without pip (the outer pip installs into it): the final image copies it whole.
# Shared libraries lose their debug symbols (pglast's parser: 27 MB -> 4 MB); C sources go.
# cryptography (14 MB) goes too: PyGithub requires it only to sign GitHub App JWTs, and the action
# authenticates with a token (tests/container/ runs every flow against the fake GitHub API);
# pycparser too (cffi needs it only to compile bindings; PyNaCl's are compiled). psycopg's binary
# wheel bundles its own libpq, OpenSSL and Kerberos (10 MB): the same psycopg version's C module,
# built here against Debian's libpq (which the server package installs anyway), replaces it.
COPY pyproject.toml /src/
RUN python -m venv --without-pip /opt/migration-guard \
 && python -c "import tomllib; print('\\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip --python /opt/migration-guard/bin/python install --no-cache-dir -r /tmp/requirements.txt \
 && pip --python /opt/migration-guard/bin/python uninstall --yes cryptography pycparser \
 && psycopg=$(/opt/migration-guard/bin/python -c "import psycopg; print(psycopg.__version__)") \
 && pip --python /opt/migration-guard/bin/python install --no-cache-dir "psycopg-c==${psycopg}" \
 && pip --python /opt/migration-guard/bin/python uninstall --yes psycopg-binary \
 && /opt/migration-guard/bin/python -c "import psycopg; assert psycopg.pq.__impl__ == 'c', psycopg.pq.__impl__" \
 && rm /tmp/requirements.txt \
 && find /opt/migration-guard -name '*.so*' -type f -exec strip --strip-unneeded {} + \
 && find /opt/migration-guard \( -name '*.c' -o -name '*.pyx' -o -name '*.h' \) -type f -delete

# Our PostgreSQL libraries (mg_vector, mg_guard): installed into a staging root, copied below.
COPY pgext /src/pgext
RUN make -C /src/pgext PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" \
 && make -C /src/pgext install DESTDIR=/out PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" \
 && strip --strip-unneeded /out/usr/lib/postgresql/${PG_MAJOR}/lib/*.so

# The package, compiled: the linter's hot modules become C extensions (mypyc; setup.py), about a
# third less CPU for a big lint. mypy (which carries mypyc) comes into pip's build environment
# only, not into the image.
COPY README.md setup.py /src/
COPY build_support /src/build_support
COPY app /src/app
RUN cd /src && MIGRATION_GUARD_COMPILE=1 pip --python /opt/migration-guard/bin/python install --no-cache-dir --no-deps /src \
 && /opt/migration-guard/bin/python -c "import migration_guard.linter as m; assert m.__file__.endswith('.so'), m.__file__" \
 && find /opt/migration-guard/lib \( -name 'migration_guard__mypyc*.so' -o -path '*/migration_guard/*.so' \) -type f \
      -exec strip --strip-unneeded {} + \
 && rm -rf /src


FROM python:3.11-slim-bookworm
ARG PG_MAJOR

# postgresql-15 carries the server binaries and contrib (pgcrypto, uuid-ossp, ...), plus the
# extensions Supabase offers that Debian packages for it; git computes what a pull request
# changes. create_main_cluster=false: the package would otherwise initdb a cluster never used.
# Then, in the same layer so the bytes are really gone:
# - LLVM (libllvm14 + libz3, 130 MB) and the JIT's bitcode: a hard dependency of postgresql-15,
#   but only llvmjit.so loads it and the dry run runs with jit = off;
# - perl (postgresql-common's and git's scripts; the dry run calls initdb/postgres directly and
#   git's plumbing is C) and locales (initdb uses C.UTF-8, built into libc);
# - client and server tools the dry run never runs (psql, pg_dump, pgbench, pg_upgrade, ...; it
#   keeps initdb, postgres, pg_ctl, pg_config, pg_controldata), pg_partman's Python scripts and
#   their psycopg2, man pages, and git's servers (daemon, http-backend, shell, imap-send, scalar;
#   fetching over https stays);
# - apt's downloaded packages and lists.
RUN mkdir -p /etc/postgresql-common \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "postgresql-${PG_MAJOR}" \
      "postgresql-${PG_MAJOR}-cron" "postgresql-${PG_MAJOR}-pgtap" "postgresql-${PG_MAJOR}-hypopg" \
      "postgresql-${PG_MAJOR}-plpgsql-check" "postgresql-${PG_MAJOR}-partman" "postgresql-${PG_MAJOR}-rum" \
      "postgresql-${PG_MAJOR}-pgaudit" \
      git ca-certificates \
 && dpkg --purge --force-depends libllvm14 libz3-4 locales perl perl-modules-5.36 libperl5.36 liberror-perl \
 && rm -rf "/usr/lib/postgresql/${PG_MAJOR}/lib/bitcode" /usr/lib/postgresql/${PG_MAJOR}/lib/llvmjit* \
      "/usr/lib/postgresql/${PG_MAJOR}/lib/pgxs" \
 && cd "/usr/lib/postgresql/${PG_MAJOR}/bin" \
 && rm -f pgbench pg_upgrade pg_rewind pg_basebackup pg_receivewal pg_recvlogical pg_amcheck pg_test_fsync \
      pg_test_timing pg_verifybackup pg_waldump pg_checksums vacuumlo oid2name clusterdb reindexdb vacuumdb \
      createdb dropdb createuser dropuser psql pg_dump pg_dumpall pg_restore pg_isready \
 && rm -rf "/usr/share/postgresql/${PG_MAJOR}/man" /usr/lib/postgresql/${PG_MAJOR}/bin/*.py \
 && dpkg --purge --force-depends python3-psycopg2 \
 && cd /usr/lib/git-core \
 && rm -f git-daemon git-http-backend git-http-fetch git-http-push git-imap-send git-shell scalar \
      git-sh-i18n--envsubst \
 && cd / \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

ENV PATH="/opt/migration-guard/bin:/usr/lib/postgresql/${PG_MAJOR}/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MIGRATION_GUARD_CACHE_DIR=/opt/migration-guard/pgcache

COPY --from=build /out/usr/lib/postgresql/${PG_MAJOR}/lib/ /usr/lib/postgresql/${PG_MAJOR}/lib/
COPY --from=build /opt/migration-guard /opt/migration-guard

# A prepared data folder for Supabase projects (the bootstrap with Supabase's roles and schemas),
# made by the real dry run at build time: it lands in the cache (MIGRATION_GUARD_CACHE_DIR) under
# the key a run computes (major, bootstrap hash, settings), so such a dry run starts from a copy
# instead of initdb + bootstrap. (A plain PostgreSQL project prepares its folder on first use.)
# The bake runs the server binaries through a mirror of the install (symlinks, and copies of
# `postgres` and `pg_config` made in this step, so the paths they compute from their own place
# stay inside the mirror): the dry run hard-links `postgres` into its private tree, and a hard
# link to a file of an earlier layer would copy those 9 MB into this one.
# The server was shut down cleanly: only the WAL segment holding the last checkpoint is needed
# (the bake keeps only that one; checked here). Files of the other databases equal to template0's
# (base/4, its fixed OID since PostgreSQL 15: all of `postgres`, most catalogs of the dry-run
# database, 10 MB) become hard links to them; a run links template0's and `postgres`'s folders
# (read-only, never connected to) and copies the rest without keeping links (clone_data_dir), so
# the dry-run database gets files of its own.
# The private install tree the bake's plan kept next to it is the mirror's (with a 9 MB copy of
# `postgres`): replaced by the real installation's, baked without the executable, which the first
# run links in (sharetree.bake), so a run rewrites no control files.
RUN mirror=/tmp/bake/root && pgbin="/usr/lib/postgresql/${PG_MAJOR}" \
 && mkdir -p "$mirror$pgbin/bin" "$mirror/usr/share/postgresql" /tmp/bake/migrations \
 && ln -s "$pgbin/lib" "$mirror$pgbin/lib" \
 && ln -s "/usr/share/postgresql/${PG_MAJOR}" "$mirror/usr/share/postgresql/${PG_MAJOR}" \
 && for f in "$pgbin"/bin/*; do ln -s "$f" "$mirror$f"; done \
 && for f in postgres pg_config; do rm "$mirror$pgbin/bin/$f" && cp -p "$pgbin/bin/$f" "$mirror$pgbin/bin/$f"; done \
 && echo "select 1;" > /tmp/bake/migrations/20000101000000_bake.sql \
 && migration-guard plan --dir /tmp/bake/migrations --supabase on --postgres local \
      --postgres-bin "$mirror$pgbin/bin" --no-progress --format json > /dev/null \
 && for d in /opt/migration-guard/pgcache/*/; do \
      redo=$(pg_controldata -D "$d" | sed -n 's/^Latest checkpoint.s REDO WAL file: *//p'); \
      [ -n "$redo" ] && [ -f "$d/pg_wal/$redo" ] || exit 1; \
      find "$d/pg_wal" -maxdepth 1 -type f -name '0*' ! -name "$redo" -delete; \
    done \
 && for d in /opt/migration-guard/pgcache/*; do \
      for f in "$d"/base/4/*; do \
        n=${f##*/}; \
        for db in "$d"/base/*; do \
          if [ "$db" != "$d/base/4" ] && cmp -s "$f" "$db/$n"; then ln -f "$f" "$db/$n"; fi; \
        done; \
      done; \
    done \
 && rm -rf /opt/migration-guard/pgcache/.trees \
 && python -c "import pathlib, sys; from migration_guard.dryrun import local, sharetree; \
sys.exit(sharetree.bake(local.find_bin_dir(), pathlib.Path('/opt/migration-guard/pgcache')) is None)" \
 && ls -a /opt/migration-guard/pgcache /opt/migration-guard/pgcache/.trees \
 && rm -rf /tmp/bake /tmp/migration-guard-*

# Exec form: GitHub passes inputs as INPUT_<NAME> with hyphens kept, which /bin/sh would drop.
# No USER (the container runs as root; the dry-run server drops to `postgres` itself, and files
# written into the workspace are handed to its owner) and no WORKDIR (GitHub sets it).
ENTRYPOINT ["migration-guard", "action"]
