"""Fixtures for the integrations: one Django/Wagtail project per session.

Django can be configured once per process, so the project (settings from the
docs, a migrated SQLite database, a superuser) is built once, the first time a
test asks for it, and it talks to one provider simulator for the whole session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.contrib.project import migrated_database, project_settings
from tests.simulator import ProviderSimulator

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def session_simulator() -> Iterator[ProviderSimulator]:
    sim = ProviderSimulator().start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="session")
def sim_env(
    session_simulator: ProviderSimulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """``EMBEDKIT_*`` variables that point embedkit at the session's simulator."""
    providers = session_simulator.providers_file(tmp_path_factory.mktemp("providers"))
    return {
        "EMBEDKIT_PROVIDERS": str(providers),
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
        "EMBEDKIT_CACHE": "memory://",
        "EMBEDKIT_TIMEOUT": "9",
    }


@pytest.fixture(scope="session")
def django_project(
    sim_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A configured, migrated Django/Wagtail project; returns setup timings in seconds."""
    import django
    from django.conf import settings
    from django.test.utils import setup_test_environment

    folder = tmp_path_factory.mktemp("django")
    database = folder / "db.sqlite3"
    started = time.perf_counter()
    settings.configure(**project_settings(folder, sim_env, database))
    django.setup()
    setup_test_environment()
    migrated = migrated_database(database)
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    return {"setup": time.perf_counter() - started, "migrate": migrated, "folder": folder}


@pytest.fixture
def sim(session_simulator: ProviderSimulator) -> Iterator[ProviderSimulator]:
    """The session's simulator, with this test's faults and records cleared afterwards."""
    session_simulator.reset_requests()
    try:
        yield session_simulator
    finally:
        session_simulator.clear_faults()
        session_simulator.reset_requests()


@pytest.fixture
def client(django_project: dict[str, Any]) -> Any:
    from django.test import Client

    return Client()


@pytest.fixture
def editor(django_project: dict[str, Any]) -> Any:
    """A test client logged in to the Wagtail admin as a superuser."""
    from django.test import Client

    browser = Client()
    assert browser.login(username="editor", password=PASSWORD)
    return browser


def doc_path(name: str) -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / name
