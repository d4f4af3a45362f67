"""Formats stage: what every format shows of a finding's rule besides its message: a link to
the rule's page and its fix in one compact line (the full text is in JSON, SARIF and HTML)."""

from __future__ import annotations

from urllib.parse import urljoin

from auditor.lazyre import lazy

PROJECT_URI = "https://github.com/Ailiance-fr/ailiance-audit"
# Rule pages are repo-relative (docs/rules/<id>.md) in findings.
DOCS_BASE = PROJECT_URI + "/blob/main/"
_SCHEME = lazy(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A sentence ends at . ! ? before a capital letter, not after "e.g." or "i.e."
_SENTENCE_END = lazy(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?])\s+(?=[A-Z])")


def short_fix(fix: str | None, limit: int = 160) -> str | None:
    """A rule's fix as one compact line: its first sentence, shortened to ``limit`` characters
    (the full text is in the JSON, SARIF and HTML reports)."""
    if not fix:
        return None
    text = " ".join(fix.split())
    end = _SENTENCE_END.search(text)
    first = text[: end.start()] if end else text
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def doc_url(uri: str | None) -> str | None:
    """An absolute link to a rule's page: repo-relative pages resolve against the project's
    docs (SARIF wants absolute help URIs, §3.49.12; the HTML report links only https)."""
    if not uri:
        return None
    return uri if _SCHEME.match(uri) else urljoin(DOCS_BASE, uri)
