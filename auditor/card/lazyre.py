"""The card parser's regular expressions, compiled when first used (``auditor.lazyre``).

The card parser holds a few hundred patterns (statement kinds, base phrases, the
training-summary template's sections and fields...) and most cards need only some of them. The
stand-in itself lives at the bottom of the import graph, so that every stage can defer its
patterns the same way; the card modules import it from here.
"""

from __future__ import annotations

from auditor.lazyre import lazy as lazy
