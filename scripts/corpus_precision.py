"""Print the loaders' precision per field over the real-world corpus.

Usage: python scripts/corpus_precision.py

For every page in tests/fixtures/corpus/pages/ and feed in tests/fixtures/corpus/feeds/,
each field the fixture gives an expected value for is compared with what embedkit
reads (see tests/syndicate/corpus.py for the normalisers). "precision" is right / given
(how often a value embedkit gives is the expected one); "coverage" is right / expected.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.syndicate.corpus import precision_table


def main() -> None:
    logging.disable(logging.WARNING)  # feeds' unreadable dates are logged; not news here
    print(
        f"{'source':6} {'field':12} {'expected':>8} {'given':>6} {'right':>6} "
        f"{'precision':>9} {'coverage':>8}"
    )
    for kind, field, expected, given, right in precision_table():
        precision = right / given if given else 0.0
        coverage = right / expected if expected else 0.0
        print(
            f"{kind:6} {field:12} {expected:8} {given:6} {right:6} {precision:9.1%} {coverage:8.1%}"
        )


if __name__ == "__main__":
    main()
