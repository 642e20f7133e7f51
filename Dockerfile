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
# Compilers for pgext/, strip for the wheels' shared libraries. The PostgreSQL headers and PGXS
# come straight from the postgresql-server-dev package's files: installing the package would pull
# clang and LLVM (hundreds of MB) that a build without bitcode (pgext/Makefile) never uses.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev make binutils \
 && cd /tmp && apt-get download "postgresql-server-dev-${PG_MAJOR}" \
 && dpkg-deb -x postgresql-server-dev-*.deb / && rm -f /tmp/*.deb \
 && rm -rf /var/lib/apt/lists/*

# Dependencies change less often than the code: install them from pyproject.toml alone first, so
# this layer is reused until the dependency list changes; then pgext, then the package itself.
# A virtualenv without pip (the outer pip installs into it): the final image copies it whole.
# Shared libraries lose their debug symbols (pglast's parser: 27 MB -> 4 MB); C sources go.
COPY pyproject.toml /src/
RUN python -m venv --without-pip /opt/migration-guard \
 && python -c "import tomllib; print('\\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip --python /opt/migration-guard/bin/python install --no-cache-dir -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt \
 && find /opt/migration-guard -name '*.so*' -type f -exec strip --strip-unneeded {} + \
 && find /opt/migration-guard \( -name '*.c' -o -name '*.pyx' -o -name '*.h' \) -type f -delete

# Our PostgreSQL libraries (mg_vector, mg_guard): installed into a staging root, copied below.
COPY pgext /src/pgext
RUN make -C /src/pgext PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" \
 && make -C /src/pgext install DESTDIR=/out PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config" \
 && strip --strip-unneeded /out/usr/lib/postgresql/${PG_MAJOR}/lib/*.so

COPY README.md /src/
COPY app /src/app
RUN pip --python /opt/migration-guard/bin/python install --no-cache-dir --no-deps /src && rm -rf /src


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
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

ENV PATH="/opt/migration-guard/bin:/usr/lib/postgresql/${PG_MAJOR}/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MIGRATION_GUARD_CACHE_DIR=/opt/migration-guard/pgcache

COPY --from=build /out/usr/lib/postgresql/${PG_MAJOR}/lib/ /usr/lib/postgresql/${PG_MAJOR}/lib/
COPY --from=build /opt/migration-guard /opt/migration-guard

# A prepared data folder per bootstrap (Supabase or plain), made by the real dry run at build time:
# it lands in the cache (MIGRATION_GUARD_CACHE_DIR) under the key a run computes (major, bootstrap
# hash, settings), so every dry run starts from a copy instead of initdb + bootstrap.
RUN mkdir -p /tmp/bake/migrations \
 && echo "select 1;" > /tmp/bake/migrations/20000101000000_bake.sql \
 && for sb in on off; do \
      migration-guard plan --dir /tmp/bake/migrations --supabase "$sb" --postgres local --no-progress \
        --format json > /dev/null || exit 1; \
    done \
 && ls /opt/migration-guard/pgcache \
 && rm -rf /tmp/bake /tmp/migration-guard-*

# Exec form: GitHub passes inputs as INPUT_<NAME> with hyphens kept, which /bin/sh would drop.
# No USER (the container runs as root; the dry-run server drops to `postgres` itself, and files
# written into the workspace are handed to its owner) and no WORKDIR (GitHub sets it).
ENTRYPOINT ["migration-guard", "action"]
