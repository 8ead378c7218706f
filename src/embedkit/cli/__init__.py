"""The ``embedkit`` command line: a thin skin over the library."""

from embedkit.cli.main import main

__all__ = ["main"]
