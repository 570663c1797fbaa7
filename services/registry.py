"""The three services by name, loaded lazily so a tool pulls in only what it uses."""
from importlib import import_module

SERVICES = ("enrolment", "scheduling", "feedback")


def app_module(service: str):
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; choose from {', '.join(SERVICES)}")
    return import_module(f"services.{service}.app")


def settings_class(service: str):
    module = import_module(f"services.{service}.settings")
    return next(value for value in vars(module).values() if isinstance(value, type) and getattr(value, "service", "") == service)


def runtime(service: str):
    return app_module(service).build_runtime()
