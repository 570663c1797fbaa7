"""Subscriptions' web process: `gunicorn 'services.subscriptions.app:create_app()'`."""

from services.subscriptions.service import SERVICE

build_runtime = SERVICE.build_runtime
create_app = SERVICE.create_app
