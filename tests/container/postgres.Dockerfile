# A small PostgreSQL image for the Docker provider's tests, from the same stand-in base as the
# action's image (no registry here): Debian's postgresql-15 without LLVM, and an entrypoint with
# the contract of the official `postgres` image that dryrun/docker.py relies on: the command is
# `postgres -p PORT -c ...`, POSTGRES_HOST_AUTH_METHOD=trust, the data folder at
# /var/lib/postgresql/data (a tmpfs), initdb on first start, the server runs as `postgres`.
FROM python:3.11-slim-bookworm
RUN mkdir -p /etc/postgresql-common \
 && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && dpkg --purge --force-depends libllvm14 libz3-4 \
 && rm -rf /usr/lib/postgresql/15/lib/bitcode /usr/lib/postgresql/15/lib/llvmjit* \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
