"""The ``embedkit`` command line: a thin skin over the library."""

from embedkit.cli._main import main

__all__ = ["main"]
