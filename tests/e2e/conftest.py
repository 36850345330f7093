"""Browser tests: headless Chromium (the system's, driven by Playwright) against a live worker on a
fresh broker (`tests/integration/harness.py`) that has replayed the bundled sample day.

The tests install what they miss: Chromium via `deploy/ci/install-browser.sh` (root and apt-get
needed), Playwright via pip. They skip, saying why, only when that is impossible.
Screenshots go to `tests/e2e/artifacts/` (or `$USUL_E2E_ARTIFACTS`); the path is printed.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import SAMPLE_DAY, live_usul
from tests.integration.harness import REPO, SAMPLE, LiveUsul

CHROMIUM = Path(os.environ.get("USUL_CHROMIUM", "/usr/bin/chromium"))
INSTALL = REPO / "deploy" / "ci" / "install-browser.sh"
ARTIFACTS = Path(os.environ.get("USUL_E2E_ARTIFACTS", REPO / "tests" / "e2e" / "artifacts"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives a real browser against a live worker (tests/e2e)")


_USED: list[Path] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _USED:
        terminalreporter.write_line(f"e2e screenshots: {ARTIFACTS}")


def _install_chromium() -> str | None:
    """None when Chromium is there (installing it if we can), else why not."""
    if CHROMIUM.exists():
        return None
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return f"no Chromium at {CHROMIUM}, and it cannot be installed here (needs root and apt-get)"
    done = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM}; {INSTALL.name} failed: {done.stderr.strip()[-500:]}"
    return None


def _import_playwright() -> tuple[Any, str | None]:
    try:
        return importlib.import_module("playwright.sync_api"), None
    except ImportError:
        pass
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "playwright"],
                          capture_output=True, text=True, timeout=600)
    try:
        importlib.invalidate_caches()
        return importlib.import_module("playwright.sync_api"), None
    except ImportError:
        return None, f"playwright does not import and pip could not install it: {done.stderr.strip()[-500:]}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _USED.append(ARTIFACTS)
    return ARTIFACTS


@pytest.fixture(scope="module")  # not session: Playwright's loop must be gone before other tests run
def browser() -> Iterator[Any]:
    why = _install_chromium()
    if why:
        pytest.skip(why)
    sync_api, why = _import_playwright()
    if why:
        pytest.skip(why)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def usul(browser: Any, broker_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveUsul]:
    """A worker that has published the sample day's brief (asks for the browser first, so that a
    machine without one skips before a broker is started)."""
    yield from live_usul(broker_kind, tmp_path_factory.mktemp("e2e-sample"), [SAMPLE], SAMPLE_DAY)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context per test; console errors and CSP violations are collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("window.__csp = []; document.addEventListener('securitypolicyviolation',"
                            " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));")
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("response", lambda r: tab.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        yield tab
    finally:
        context.close()
