"""The test project: a Wagtail site with a plain Django app, configured from the docs.

The settings that users copy from ``docs/django.md`` and ``docs/wagtail.md``
(the fenced blocks after ``<!-- test: NAME -->``) are executed here as they are,
on top of a minimal Wagtail project; so are the documented templates. The only
thing added to them is ``env``: the mapping the integrations read ``EMBEDKIT_*``
variables from, standing in for ``os.environ`` so the provider simulator's
settings do not leak into the rest of the test session.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

APPS = [
    "tests.contrib.newsroom",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]


def doc_block(doc: str, name: str) -> str:
    """The fenced block right after ``<!-- test: name -->`` in ``docs/doc``."""
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    match = re.search(rf"<!-- test: {re.escape(name)} -->\n```[^\n]*\n(.*?)```", text, re.S)
    assert match, f"docs/{doc} has no block marked <!-- test: {name} -->"
    return match.group(1)


def documented_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """What the Django and Wagtail docs' settings blocks set, given the apps above."""
    namespace: dict[str, Any] = {"INSTALLED_APPS": list(APPS)}
    exec(doc_block("django.md", "django-settings"), namespace)
    exec(doc_block("wagtail.md", "wagtail-settings"), namespace)
    found = {key: value for key, value in namespace.items() if key.isupper()}
    found["EMBEDKIT"] = {**found["EMBEDKIT"], "env": dict(env)}
    found["WAGTAILEMBEDS_FINDERS"] = [
        {**finder, "env": dict(env)} for finder in found["WAGTAILEMBEDS_FINDERS"]
    ]
    return found


def write_templates(folder: Path) -> Path:
    """The documented templates, where the test project's views look for them."""
    target = folder / "newsroom"
    target.mkdir(parents=True, exist_ok=True)
    (target / "article.html").write_text(doc_block("django.md", "django-template"))
    (target / "story_page.html").write_text(doc_block("wagtail.md", "wagtail-template"))
    return folder


def project_settings(folder: Path, env: Mapping[str, str], database: Path) -> dict[str, Any]:
    settings = documented_settings(env)
    settings.update(
        DEBUG=False,
        SECRET_KEY="embedkit-tests-only",
        ALLOWED_HOSTS=["testserver", "localhost"],
        ROOT_URLCONF="tests.contrib.newsroom.urls",
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(database),
                # The test database is thrown away: no fsync on every migration.
                "OPTIONS": {"init_command": "PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY"},
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(write_templates(folder / "templates"))],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STATIC_URL="/static/",
        USE_TZ=True,
        TIME_ZONE="UTC",
        WAGTAIL_SITE_NAME="Newsroom",
        WAGTAILADMIN_BASE_URL="http://testserver",
        WAGTAILSEARCH_BACKENDS={"default": {"BACKEND": "wagtail.search.backends.database"}},
    )
    return settings


def _fingerprint() -> str:
    """What the migrated database depends on: package versions and our migrations."""
    names = ("django", "wagtail", "django-taggit", "django-modelcluster")
    parts = [f"{name}={metadata.version(name)}" for name in names]
    for path in sorted((HERE / "newsroom" / "migrations").glob("*.py")):
        parts.append(f"{path.name}:{path.stat().st_size}:{path.read_text()}")
    import hashlib

    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def migrated_database(target: Path) -> float:
    """Put a migrated database at ``target``; return the seconds migrating took (0: copied).

    Migrating Wagtail on SQLite takes a while, so the first run keeps a migrated
    copy in the temp folder, named by the Django/Wagtail versions and this
    project's migrations; later runs copy it.
    """
    from django.core.management import call_command
    from django.db import connections

    template = Path(tempfile.gettempdir()) / f"embedkit-wagtail-{_fingerprint()}.sqlite3"
    if template.is_file():
        shutil.copyfile(template, target)
    started = time.perf_counter()
    # On a copy this only checks that nothing is left to apply.
    call_command("migrate", verbosity=0, interactive=False)
    took = time.perf_counter() - started
    if template.is_file():
        return took
    connections.close_all()
    partial = template.with_suffix(f".{os.getpid()}.partial")  # parallel runs: one each
    with sqlite3.connect(target) as source, sqlite3.connect(partial) as copy:
        source.backup(copy)
    partial.replace(template)
    return took
