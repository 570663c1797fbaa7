# Convene: one image for every service and every role; the command picks what runs.
#   web      gunicorn -c deploy/gunicorn.conf.py 'services.<service>.app:create_app()'
#   console  gunicorn -c deploy/gunicorn.conf.py 'services.console.app:create_app()'
#   worker   python -m services.<service>.worker
#   migrate  python -m services.cli migrate <service>
#   tools    python -m services.cli keys | token | demo | settings
# No HEALTHCHECK: only web processes serve /readyz, so docker-compose.yml and the Kubernetes
# manifests probe each role themselves.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
ARG NODE_IMAGE=node:22.12.0-bookworm-slim

# The console's NHS.UK frontend, exactly as package-lock.json pins it (as `make up` installs it).
FROM ${NODE_IMAGE} AS node-modules
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.txt /tmp/requirements.txt
# Runtime pins only: the "Tests and tools" block at the end of requirements.txt stays out.
RUN sed '/^# Tests and tools/,$d' /tmp/requirements.txt > /tmp/runtime.txt \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r /tmp/runtime.txt
# The console's static folder, built as `make up` builds it (services/console/build_assets.py):
# served by the console itself, never from a CDN. node_modules stays in this stage.
WORKDIR /build
COPY --from=node-modules /src/node_modules ./node_modules
COPY shared ./shared
COPY services ./services
RUN /opt/venv/bin/python -m services.console.build_assets

FROM ${PYTHON_IMAGE}
# The JWT_*_FILE values are paths, not secrets: where `services.cli keys` writes the development
# key pair and the web process finds the public half (docker-compose.yml mounts a volume there).
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CONVENE_DATA_DIR=/var/lib/convene/data \
    JWT_PUBLIC_KEY_FILE=/var/lib/convene/keys/jwt-public.pem \
    JWT_PRIVATE_KEY_FILE=/var/lib/convene/keys/jwt-private.pem
# The state folders belong to the runtime user, so named volumes mounted on them start out
# writable by it (Docker copies a mount point's ownership into a new named volume).
RUN groupadd --system --gid 10001 convene \
 && useradd --system --uid 10001 --gid convene --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin convene \
 && install -d -o convene -g convene -m 0750 /var/lib/convene /var/lib/convene/data /var/lib/convene/keys
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY shared ./shared
COPY services ./services
COPY --from=builder /build/services/console/static ./services/console/static
COPY deploy/gunicorn.conf.py ./deploy/gunicorn.conf.py
COPY --chmod=0755 deploy/docker/entrypoint.sh ./deploy/docker/entrypoint.sh
# Bytecode is compiled now because the root filesystem is read-only at run time.
RUN python -m compileall -q shared services deploy
USER 10001:10001
EXPOSE 8000 8001 8002 8003
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["python", "-m", "services.cli", "--help"]
