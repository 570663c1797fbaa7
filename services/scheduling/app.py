"""Scheduling's web process: `gunicorn 'services.scheduling.app:create_app()'`."""

from services.scheduling.service import SERVICE

build_runtime = SERVICE.build_runtime
create_app = SERVICE.create_app
