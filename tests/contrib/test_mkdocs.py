"""MkDocs builds a site with embeds (mkdocs.yml and page from docs/markdown.md)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.contrib.project import doc_block
from tests.simulator import ProviderSimulator

WIDGETS = "https://platform.twitter.com/widgets.js"


def test_mkdocs_builds_a_site_with_two_embeds_and_a_fallback(
    simulator: ProviderSimulator, tmp_path: Path
) -> None:
    project = tmp_path / "handbook"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text(doc_block("markdown.md", "mkdocs-config"))
    (project / "docs" / "index.md").write_text(doc_block("markdown.md", "mkdocs-page"))
    simulator.fault("/instagram/oembed", "status", status=503)
    env = {
        **os.environ,
        "EMBEDKIT_PROVIDERS": str(simulator.providers_file(tmp_path)),
        "EMBEDKIT_ALLOW_PRIVATE_NETWORKS": "1",
        "EMBEDKIT_CACHE": f"sqlite:///{tmp_path}/embeds.db",
    }
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "site"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    page = (project / "site" / "index.html").read_text(encoding="utf-8")
    assert "LIVE: Japanese Prime Minister Fumio Kishida" in page  # the Reuters post
    assert 'src="https://www.youtube.com/embed/qQpb1oCernE' in page
    # Instagram answered 503: the post's static fallback, with a link to the original.
    assert re.search(r'<figure class="embedkit embedkit--instagram[^"]*embedkit--fallback"', page)
    assert 'href="https://www.instagram.com/p/CpJHmdHPHa5/"' in page
    assert page.count(f'<script async src="{WIDGETS}" charset="utf-8"></script>') == 1
    assert page.count(WIDGETS) == 1  # the theme's own scripts aside, nothing else
    assert simulator.count("/twitter/oembed") == 1
