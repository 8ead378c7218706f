"""Resolving: a pasted reference becomes an :class:`~embedkit.Embed`, whatever happens.

References are parsed and canonicalized (:func:`parse_ref`), matched to a
provider (:class:`ProviderRegistry`), fetched through the hardened client
(:class:`OEmbedFetcher`, or oEmbed discovery), cached (:mod:`embedkit.resolve.cache`)
and presented; :class:`Resolver` ties it together and never raises for provider
trouble.
"""

from __future__ import annotations

from embedkit.resolve._oembed import OEmbedFetcher
from embedkit.resolve._providers import (
    Endpoint,
    Match,
    Provider,
    ProviderRegistry,
    load_providers_file,
    updated_registry_path,
)
from embedkit.resolve._refs import MAX_REF_LENGTH, canonicalize, parse_ref
from embedkit.resolve._registry_update import update_registry
from embedkit.resolve._resolver import Resolver

__all__ = [
    "MAX_REF_LENGTH",
    "Endpoint",
    "Match",
    "OEmbedFetcher",
    "Provider",
    "ProviderRegistry",
    "Resolver",
    "canonicalize",
    "load_providers_file",
    "parse_ref",
    "update_registry",
    "updated_registry_path",
]
