# Migration Guard's GitHub Action image: Python + PostgreSQL server binaries for the dry run + git.
#
# PostgreSQL major: 15, the major hosted Supabase projects run (and Debian bookworm's own package).
# To dry-run on another major, build with `--build-arg PG_MAJOR=16` after adding the PGDG apt
# repository (apt.postgresql.org: its signing key and `bookworm-pgdg` source list) in the apt step
# below; postgresql-<major> from there has the same layout (/usr/lib/postgresql/<major>/bin).
# Pinned base: a Python minor and a Debian release, so a rebuild gets the same PostgreSQL major.
FROM python:3.11-slim-bookworm

ARG PG_MAJOR=15

# postgresql-15 carries the server binaries and contrib (pgcrypto, uuid-ossp, ...); git computes
# what a pull request changes. No recommends, apt lists removed: a small, cacheable layer.
# create_main_cluster=false: the package would otherwise initdb a cluster the image never uses.
RUN mkdir -p /etc/postgresql-common \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "postgresql-${PG_MAJOR}" git ca-certificates \
 && rm -rf /var/lib/apt/lists/*

ENV PATH="/usr/lib/postgresql/${PG_MAJOR}/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Dependencies change less often than the code: install them from pyproject.toml alone first, so
# this layer is reused until the dependency list changes; then the package itself, without deps.
COPY pyproject.toml /src/
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt
COPY README.md /src/
COPY app /src/app
RUN pip install --no-cache-dir --no-deps /src && rm -rf /src

# Exec form: GitHub passes inputs as INPUT_<NAME> with hyphens kept, which /bin/sh would drop.
# No USER (the workspace is root-owned in the container; the dry-run server drops to `postgres`
# itself) and no WORKDIR (GitHub sets /github/workspace).
ENTRYPOINT ["migration-guard", "action"]
