"""Feedback's web process: `gunicorn 'services.feedback.app:create_app()'`."""

from services.feedback.service import SERVICE

build_runtime = SERVICE.build_runtime
create_app = SERVICE.create_app
