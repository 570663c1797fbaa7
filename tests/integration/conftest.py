"""The development mailbox (deploy/local/mailbox.py), a real SMTP server on loopback, for the
tests of the e-mails enrolment sends."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

MAILBOX_FILE = Path(__file__).resolve().parents[2] / "deploy" / "local" / "mailbox.py"


def _load_mailbox_module():
    # deploy/ is no package: the development tool is loaded from its file, as `make up` runs it.
    spec = importlib.util.spec_from_file_location("convene_dev_mailbox", MAILBOX_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    """A running mailbox on free ports: `.smtp_port`, `.http_port`, `.inbox.mails()`, `.stop_smtp()`, `.start()`."""
    running = _load_mailbox_module().Mailbox(smtp_port=_free_port(), http_port=_free_port()).start()
    yield running
    running.stop()
