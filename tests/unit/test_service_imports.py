"""Starting a service's process loads no library that only some of its reads need: scipy (the
insight's statistics), matplotlib and reportlab (charts and the PDF report). Each cost every
gunicorn worker tens of MB at start (bench/README.md, memory), for requests most never serve."""

import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib", "reportlab")


@pytest.mark.parametrize("module", ["services.feedback.app", "services.feedback.worker"])
def test_a_service_process_starts_without_the_statistics_chart_and_pdf_libraries(module):
    probe = f"import sys, {module}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == [], f"{module} loads {loaded} at import"
