"""Django: ``{% load embedkit %}`` tags and filter, one shared resolver, ``embedkit_warm``.

Add ``"embedkit.contrib.django"`` to ``INSTALLED_APPS`` (``pip install
'embedkit[django]'``), optionally configure it with ``EMBEDKIT = {...}`` (the
options of :mod:`embedkit.contrib._options`: ``cache``, ``providers``,
``timeout``, ``allow_private_networks``, ``consent``, ``consent_script_url``...;
what it leaves out comes from the ``EMBEDKIT_*`` environment variables), then in
templates::

    {% load embedkit %}
    {% embed page.video_url maxwidth=640 %}
    {{ page.body|embeds }}
    {% embed_scripts %}

:func:`get_resolver` returns the process's one :class:`~embedkit.Resolver`,
built from the settings on first use. ``manage.py embedkit_warm
app_label.Model.field ...`` resolves every embed URL stored in those fields.
See ``docs/django.md``.
"""

from __future__ import annotations

from embedkit.contrib.django._settings import get_options, get_resolver

__all__ = ["get_options", "get_resolver"]
