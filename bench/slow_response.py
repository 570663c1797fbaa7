"""Fault injection for the web-kill drill: a service's app whose answers leave the worker
BENCH_RESPONSE_DELAY seconds after the view returned, i.e. after its transaction committed.
A SIGKILL in that window is a crash between the database commit and the response, which the
client can only answer by retrying with the same Idempotency-Key.
`gunicorn 'bench.slow_response:service_app("enrolment")'`."""

from __future__ import annotations

import os
import time


class DelayedAnswers:
    def __init__(self, app, delay: float):
        self.app = app
        self.delay = delay

    def __call__(self, environ, start_response):
        body = list(self.app(environ, start_response))  # the view has returned: committed
        if environ.get("REQUEST_METHOD") == "POST":
            time.sleep(self.delay)
        return body


def service_app(service: str):
    from services.registry import declaration

    return DelayedAnswers(declaration(service).create_app(), float(os.environ.get("BENCH_RESPONSE_DELAY", "0.2")))
