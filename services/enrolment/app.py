"""Enrolment's web process: `gunicorn 'services.enrolment.app:create_app()'`."""

from services.enrolment.service import SERVICE

build_runtime = SERVICE.build_runtime
create_app = SERVICE.create_app
