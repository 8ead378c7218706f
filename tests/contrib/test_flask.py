"""Flask with the Jinja extension: the app in docs/flask.md, run as it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.contrib.project import doc_block
from tests.simulator import ProviderSimulator

CLIENT = """
import app
response = app.app.test_client().get("/")
assert response.status_code == 200, response.status_code
print(response.get_data(as_text=True))
"""


def test_the_documented_flask_app_renders_an_embed_and_its_script(
    simulator: ProviderSimulator, tmp_path: Path
) -> None:
    (tmp_path / "app.py").write_text(doc_block("flask.md", "flask-app"))
    env = {
        **os.environ,
        "EMBEDKIT_PROVIDERS": str(simulator.providers_file(tmp_path)),
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
        "EMBEDKIT_CACHE": "memory://",
    }
    result = subprocess.run(
        [sys.executable, "-c", CLIENT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert "<h1>Japan, South Korea bury trade hatchet</h1>" in page
    assert "LIVE: Japanese Prime Minister Fumio Kishida" in page
    assert simulator.last("/twitter/oembed").query["maxwidth"] == "550"
    assert page.rstrip().endswith(
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    )
