"""The ``embedkit serve`` command without a server: help, bad options, the systemd unit."""

from __future__ import annotations

import configparser
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from embedkit.cli._main import cli
from embedkit.cli._serve import serve
from embedkit.serve import ServeSettings, app
from embedkit.serve._settings import RateLimit

EXAMPLES = Path(__file__).parents[2] / "examples"
SERVER_MODULES = ("starlette", "uvicorn", "prometheus_client")


@pytest.mark.parametrize("argv", [["--help"], ["serve", "--help"]])
def test_help_imports_no_server(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from embedkit.cli._main import cli\n"
        f"result = CliRunner().invoke(cli, {argv!r})\n"
        "assert result.exit_code == 0, result.output\n"
        "assert 'serve' in result.output\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_MODULES!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_importing_the_app_opens_nothing() -> None:
    assert "first use" in repr(app)  # built in the worker, from its environment


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "fast"], "rate limit 'fast' is not N/second, N/minute or N/hour"),
        (["--rate-limit", "5/fortnight"], "rate limit '5/fortnight'"),
        (["--allow-origin", "cms.example.com"], "CORS origin 'cms.example.com' is not an origin"),
        (["--allow-origin", "https://cms.example.com/path"], "is not an origin"),
        (["--cache", "ftp://cache"], "cache URL 'ftp://cache' has an unknown scheme"),
        (["--providers", "/no/such/providers.json"], "/no/such/providers.json"),
    ],
)
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["serve", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_settings_from_the_environment() -> None:
    settings = ServeSettings.from_env(
        {
            "EMBEDKIT_SERVE_ALLOW_ORIGINS": "https://a.example, https://b.example:8443",
            "EMBEDKIT_SERVE_RATE_LIMIT": "10/second",
            "EMBEDKIT_CONSENT": "1",
        }
    )
    assert settings.allow_origins == ("https://a.example", "https://b.example:8443")
    assert settings.rate_limit == RateLimit(10, 1.0)
    assert settings.consent is True
    assert settings.offline is False
    defaults = ServeSettings.from_env({})
    assert defaults.allow_origins == ()
    assert defaults.rate_limit == RateLimit(300, 60.0)
    assert ServeSettings.from_env({"EMBEDKIT_SERVE_RATE_LIMIT": "off"}).rate_limit is None


def test_systemd_unit_runs_serve_on_loopback_with_secrets_from_a_file() -> None:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(
        (EXAMPLES / "systemd" / "embedkit-serve.service").read_text().replace("\\\n", " ")
    )
    service = parser["Service"]
    assert service["EnvironmentFile"].startswith("/")
    assert "redis://" not in service.get("Environment", "")  # the password stays in the file
    words = shlex.split(service["ExecStart"])
    assert words[1] == "serve"
    ctx = serve.make_context("serve", words[2:])  # raises on an unknown option
    assert ctx.params["host"] == "127.0.0.1"
    assert ctx.params["origins"] == ("https://cms.example.com",)
    assert parser["Install"]["WantedBy"] == "multi-user.target"
