"""Gunicorn settings for every Convene web process (local, Docker and Kubernetes)."""

import multiprocessing
import os

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Imported here, not in child_exit: a first import inside the signal handler can be
    # re-entered by the next SIGCHLD and crash the arbiter on shutdown.
    from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Sync workers: requests are short and database-bound. Two per core, plus one. Gunicorn's own
# sync worker, except that the errors gunicorn answers itself (the limits below, unparsable
# requests) are problem+json like every other Convene error, not its HTML page.
worker_class = "shared.http_worker.ProblemSyncWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# Gunicorn's defaults, stated: a request line (method, path, query) up to 4094 bytes (longer: 414),
# up to 100 headers of up to 8190 bytes each (more: 431), room for an identity provider's bearer token.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
max_requests = 10000
max_requests_jitter = 500
# gunicorn's error and access logs in the services' JSON schema; the access line holds the path,
# never the query string (it may hold personal data), and no headers (they carry bearer tokens).
logger_class = "shared.gunicorn_logs.JsonLogger"
accesslog = "-"


def child_exit(server, worker):
    # Metrics of a worker that has gone must not linger in the multiprocess directory.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
