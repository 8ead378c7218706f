"""Integrations with the frameworks publishers already use (each behind its own extra).

- :mod:`embedkit.contrib.jinja`: ``EmbedExtension`` for Jinja2 (Flask...).
- :mod:`embedkit.contrib.django`: a Django app (``{% load embedkit %}``, ``embedkit_warm``).
- :mod:`embedkit.contrib.wagtail`: ``EmbedkitFinder``, a Wagtail embed finder.
- :mod:`embedkit.contrib.markdown`: a Python-Markdown extension (MkDocs).

They share their options and one resolver per configuration (``_options``), and
render through the page layer, the code :func:`embedkit.render_html` runs.
"""
