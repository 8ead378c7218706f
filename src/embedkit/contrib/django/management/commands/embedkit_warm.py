"""``manage.py embedkit_warm app_label.Model.field ...`` (see :mod:`.._warm`)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from embedkit.contrib.django._warm import warm


class Command(BaseCommand):
    help = (
        "Resolve every embed URL found in the given model fields (app_label.Model.field), "
        "so pages render from a warm cache."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "fields", nargs="+", metavar="app_label.Model.field", help="Fields to read."
        )
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="Ask the providers even for posts whose cache entry is still fresh.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        warm(
            options["fields"],
            refresh=options["refresh"],
            verbosity=options["verbosity"],
            stdout=self.stdout,
            stderr=self.stderr,
        )
