"""The package version, in a module of its own so submodules can read it early."""

__version__ = "0.1.0"
