"""Every way Convene starts gunicorn loads deploy/gunicorn.conf.py, and that file picks the
worker that answers gunicorn's own refusals as problem+json (shared.http_worker). No embedded
development server is started anywhere: `make up` runs gunicorn too."""

from __future__ import annotations

import re
from pathlib import Path

from gunicorn.config import Config

from shared.http_worker import ProblemErrors

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def _loaded() -> Config:
    config = Config()
    settings: dict = {}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), settings)
    for name, value in settings.items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_the_gunicorn_config_runs_the_worker_that_answers_problems():
    config = _loaded()
    assert issubclass(config.worker_class, ProblemErrors)
    assert (config.limit_request_line, config.limit_request_fields, config.limit_request_field_size) == (
        4094,
        100,
        8190,
    )


def test_every_command_that_starts_gunicorn_loads_the_convene_config():
    places = [
        ROOT / "deploy" / "local" / "stack.sh",
        ROOT / "docker-compose.yml",
        ROOT / "Dockerfile",
        *sorted((ROOT / "deploy" / "k8s").glob("*.yaml")),
        ROOT / "tests" / "processes.py",
    ]
    starts = 0
    for place in places:
        for line in place.read_text().splitlines():
            if (
                re.search(r"""(^|[\s"'\[/])gunicorn["']?(\s|,|$)""", line)
                and not line.lstrip().startswith("#")
                and "-c" in line
            ):
                assert "gunicorn.conf.py" in line, f"{place.name}: {line.strip()}"
                starts += 1
    assert starts >= 6  # stack.sh, three compose services, three Kubernetes deployments, the tests' processes


def test_no_embedded_development_server_is_started():
    sources = [
        path
        for folder in ("shared", "services", "deploy")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in (".py", ".sh")
    ]
    assert not [path for path in sources if re.search(r"\bapp\.run\(|run_simple\(|wsgiref|flask run", path.read_text())]
