"""Convene's services, each by its declaration (services/<name>/service.py), imported when a
tool first asks for it so it pulls in only what it uses. A new service is one more name here."""

from __future__ import annotations

from importlib import import_module

from shared.service import Service

SERVICES = ("enrolment", "scheduling", "feedback", "subscriptions")


def declaration(service: str) -> Service:
    if service not in SERVICES:
        raise SystemExit(f"unknown service {service!r}; choose from {', '.join(SERVICES)}")
    return import_module(f"services.{service}.service").SERVICE


def declarations() -> list[Service]:
    return [declaration(service) for service in SERVICES]


def settings_class(service: str):
    return declaration(service).settings


def runtime(service: str):
    return declaration(service).build_runtime()


def subscriptions() -> dict:
    """Each service's consumers by its name: what the combined AsyncAPI document receives."""
    return {declared.name: list(declared.subscriptions) for declared in declarations()}
