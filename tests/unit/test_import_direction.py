"""Imports run one way, down, read from the source (nothing is imported): shared/ never knows the
services, no service imports another, and inside a service api → usecases → domain, store and
handlers → usecases, with a domain of plain Python (feedback's may compute with scipy and numpy)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(path.parent.name for path in (ROOT / "services").glob("*/service.py"))
# What a domain may use besides the standard library and its own modules: the published contracts,
# and two plain-Python modules of shared/, the domain's errors and the small-number rules of what may be shown.
CONTRACTS = "shared.contracts"
PURE_SHARED = ("shared.errors", "shared.disclosure")
# Libraries that compute values and do no I/O, which a domain rule may build on: the iCalendar format.
PURE_LIBRARIES = ("icalendar",)
# Per service, more such libraries its domain alone may use. Feedback's statistics (tests of
# independence, intervals, trend tests, clustering) are scipy's, on numpy arrays: kept, reviewed
# numerical code in place of our own, called as pure functions of their arguments. What of them
# reads or writes files is refused by name below; this test reads imports only, so a call such as
# `np.load` through a plain `import numpy` is for review to catch, as any open() is.
SERVICE_LIBRARIES = {"feedback": ("scipy", "numpy")}
REFUSED_IN_DOMAIN = (
    "scipy.io",
    "scipy.datasets",
    "numpy.load",
    "numpy.loadtxt",
    "numpy.genfromtxt",
    "numpy.fromfile",
    "numpy.memmap",
    "numpy.save",
    "numpy.savez",
    "numpy.savetxt",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, relative ones resolved; `from a import b`
    yields a.b too, since b may be a module."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if alias.name != "*"]
    return found


def files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def within(module: str, *packages: str) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def is_stdlib(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def breaches(paths: list[Path], refused) -> list[str]:
    """`file:line imports module` for every import `refused(module)` answers True for."""
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in paths
        for line, module in imports_of(path)
        if refused(module)
    ]


def layer(service: str, name: str) -> list[Path]:
    """The files of one layer of a service: a package (api/, domain/ ...) or a module (handlers.py)."""
    folder = ROOT / "services" / service
    return (
        files(folder / name)
        if (folder / name).is_dir()
        else [path for path in [folder / f"{name}.py"] if path.exists()]
    )


def test_the_services_are_found():
    assert SERVICES == ["enrolment", "feedback", "scheduling", "subscriptions"]


def test_nothing_in_shared_imports_the_services():
    assert breaches(files(ROOT / "shared"), lambda module: within(module, "services")) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service):
    others = [f"services.{other}" for other in SERVICES if other != service]
    assert breaches(files(ROOT / "services" / service), lambda module: within(module, *others)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_a_domain_imports_only_its_own_domain_the_contracts_and_the_standard_library(service):
    assert breaches(layer(service, "domain"), lambda module: not domain_may_import(service, module)) == []


def domain_may_import(service: str, module: str) -> bool:
    libraries = PURE_LIBRARIES + SERVICE_LIBRARIES.get(service, ())
    return (
        is_stdlib(module) or within(module, f"services.{service}.domain", CONTRACTS, *PURE_SHARED, *libraries)
    ) and not within(module, *REFUSED_IN_DOMAIN)


def test_feedback_s_domain_may_compute_with_scipy_but_not_read_or_write_files_with_it():
    assert domain_may_import("feedback", "scipy.stats.chi2_contingency")
    assert domain_may_import("feedback", "numpy")
    assert not domain_may_import("feedback", "scipy.io.loadmat")
    assert not domain_may_import("feedback", "numpy.load")
    assert not domain_may_import("scheduling", "scipy.stats")


def test_the_shared_modules_a_domain_may_use_are_plain_python():
    paths = [path for path in files(ROOT / "shared") if within(module_name(path), *PURE_SHARED)]
    assert len(paths) == len(PURE_SHARED)
    assert breaches(paths, lambda module: not (is_stdlib(module) or within(module, *PURE_SHARED))) == []


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_never_import_the_http_layer_or_the_handlers(service):
    refused = (
        f"services.{service}.api",
        f"services.{service}.handlers",
        "flask",
        "werkzeug",
        "shared.api",
        "shared.web",
    )
    assert breaches(layer(service, "usecases"), lambda module: within(module, *refused)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_the_store_never_imports_use_cases_the_http_layer_or_the_handlers(service):
    refused = (
        f"services.{service}.usecases",
        f"services.{service}.api",
        f"services.{service}.handlers",
        "flask",
        "shared.api",
    )
    assert breaches(layer(service, "store"), lambda module: within(module, *refused)) == []


@pytest.mark.parametrize("service", SERVICES)
def test_handlers_never_import_the_http_layer(service):
    refused = (f"services.{service}.api", "flask", "shared.api")
    assert breaches(layer(service, "handlers"), lambda module: within(module, *refused)) == []


def test_relative_imports_are_resolved_like_absolute_ones():
    package = ROOT / "services" / "scheduling" / "domain"
    assert module_name(package / "__init__.py") == "services.scheduling.domain"
    relative = [
        path
        for path in files(package)
        if any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(ast.parse(path.read_text())))
    ]
    for path in relative:
        assert all(
            within(module, "services.scheduling.domain") or is_stdlib(module) or not module.startswith("services.")
            for _, module in imports_of(path)
        )
    assert not within("services.enrolment.domains", "services.enrolment.domain")
