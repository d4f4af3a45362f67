"""Compliance statements in card text (bases: :mod:`.bases`, license subjects: :mod:`.subjects`).

Statement kinds (``Statement.kind``; ``value`` as noted):

=============================  ===============================================================
kind                           what the card says (example)
=============================  ===============================================================
no-web-scraping                "No web scraping by Ailiance", "Web scraping: No"
scraping-declared              data *was* scraped/crawled: "Web scraping: Yes — public GitHub"
no-licensed-data               "no licensed data", "Licensed data: No"
no-pii                         "no PII", "no personal data"
all-permissive                 "All upstream components are Apache 2.0 / MIT"
sharealike-propagates          "… is CC-BY-SA-4.0 and propagates to this adapter"
copyright-policy               a copyright-policy section, link or statement (Art. 53(1)(c))
art53-1c-claim                 any text citing Art. 53(1)(c), e.g. "training data licenses
                               preserved" (which is *not* a copyright policy)
art53-1d-claim                 any text citing Art. 53(1)(d), e.g. "see upstream dataset cards"
training-summary               a public training-content summary: the AI Office template in the
                               card (added by the pst pass) or a link/mention of one
article-citation               an article cited; value = "52", "53(1)(c)"; text = its topic
open-source-exemption          the Art. 53(2) open-source exemption is claimed
contact                        a contact point; value = the e-mail address or URL
copyright-contact              a copyright complaints / opt-out / removal contact
robots-txt                     robots.txt or RFC 9309 honoured
tdm-optout                     TDM reservations / opt-outs (DSM Art. 4(3), TDMRep, ai.txt)
paywall                        paywalls / technological measures not circumvented
piracy-exclusion               piracy or infringing sites excluded
infringing-use-prohibited      infringing uses prohibited (AUP clause)
eu-established                 "established within the European Union"
authorised-representative      an EU authorised representative is named (not "Not applicable")
gated-terms                    the base's gated terms / acceptable use policy are passed on
                               ("subject to the … Community License", "governed by the Gemma
                               Terms of Use", "must accept the terms at …", "Terms of Use: …")
quantization                   the weights are a quantisation ("quantized by", "quantised
                               models of", "converted to GGUF")
merge-recipe                   a mergekit recipe in a code block; value = its merge_method
built-with-llama               "Built with Llama"
notice                         a NOTICE line (Llama / Gemma notice text, "NOTICE")
=============================  ===============================================================

A ``negatable`` pattern is dropped when a negation ("no", "not", "without"…) shortly precedes it
("does not qualify for the open-source exemption"); ``reject`` drops a sentence outright
("Authorised representative: Not applicable").
"""

from __future__ import annotations

import re
from typing import Literal

from auditor.card.keys import Keys
from auditor.card.lazyre import lazy
from auditor.card.text import Unit, fold
from auditor.models import Location, Statement
from auditor.records import record

_I = re.I


@record
class StatementPattern:
    """How one statement kind is recognised; ``keys`` must match the lower-cased text first.

    ``needs``, when given, are finer fragments one of which the pattern cannot match without
    (read as the case-insensitive pattern reads the text): a unit without any is not searched,
    and the pattern is not even compiled for a card that never has one.
    """

    kind: str
    keys: frozenset[str]
    regex: re.Pattern[str]
    value: Literal["none", "group", "match"] = "none"
    negatable: bool = True
    reject: re.Pattern[str] | None = None
    headings: bool = False
    needs: frozenset[str] = frozenset()


def _s(
    kind: str,
    keys: str,
    pattern: str,
    value: Literal["none", "group", "match"] = "none",
    negatable: bool = True,
    reject: str | None = None,
    headings: bool = False,
    flags: int = _I,
    needs: str = "",
) -> StatementPattern:
    return StatementPattern(
        kind,
        frozenset(keys.split("|")),
        lazy(pattern, flags),
        value,
        negatable,
        lazy(reject, _I) if reject else None,
        headings,
        frozenset(needs.split("|")) if needs else frozenset(),
    )


_ART = r"(?:\b[Aa]rticles?\s*|\bArt\.?\s*)"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}"
_SA = r"(?:cc[- ]?by[- ]?sa(?:[- ]?\d\.\d)?|share[- ]?alike)"

# fmt: off
STATEMENTS: tuple[StatementPattern, ...] = (
    _s("no-web-scraping", "scrap|crawl",
       r"\bno (?:web[- ]?)?(?:scraping|crawling)\b|\bweb[- ]?scraping\s*[:：]\s*(?:no|none)\b"
       r"|\bwithout (?:any )?(?:web[- ]?)?scraping\b|\bnot (?:web[- ]?)?scraped\b"
       r"|\b(?:do|does|did) not (?:crawl|scrape)(?: or (?:crawl|scrape))?\b",
       negatable=False),
    _s("scraping-declared", "scrap|crawl",
       r"\bweb[- ]?scraping\s*[:：]\s*yes\b|\b(?:was|were|been|is|are|data)\s+(?:web[- ]?)?"
       r"(?:scraped|crawled)\b|\b(?:scraped|crawled) from\b|\bwe (?:scraped|crawled)\b",
       needs="yes|scraped|crawled"),
    _s("no-licensed-data", "licensed data|licenced data",
       r"\bno licen[sc]ed data\b|\blicen[sc]ed data\s*[:：]\s*(?:no|none)\b", negatable=False),
    _s("no-pii", "pii|personal",
       r"\bno (?:pii|personal data|personally identifiable)\b|\bpii\s*[:：]\s*(?:no|none)\b"
       r"|\bcontains? no (?:pii|personal data)\b", negatable=False),
    _s("all-permissive", "all ",
       r"\ball (?:upstream |training |source |the )?(?:components|data(?:sets)?|sources|"
       r"licen[sc]es|inputs)\b[^.;]{0,40}?\b(?:are|is)\s+(?:under\s+)?(?:apache|mit\b|permissive)"),
    _s("sharealike-propagates", "sa|share",
       rf"\b{_SA}\b(?:[^.;]|\.(?=\d)){{0,80}}?\b(?:propagat|inherit|carr(?:y|ies) over"
       r"|applies to this|flows? down)"),
    _s("copyright-policy", "copyright", r"\bcopyright[- ]polic(?:y|ies)\b", headings=True),
    _s("art53-1c-claim", "53", rf"{_ART}53\s*\(\s*1\s*\)\s*\(\s*c\s*\)", negatable=False, flags=0),
    _s("art53-1d-claim", "53", rf"{_ART}53\s*\(\s*1\s*\)\s*\(\s*d\s*\)", negatable=False, flags=0),
    _s("training-summary", "summary",
       r"\bpublic summary of (?:the )?training (?:content|data)\b|\bsummary of (?:the )?training "
       r"content\b|\btraining[- ]content summary\b|\bpublic[_ ]summary\b[^.]{0,80}(?:https?://"
       r"|\.pdf\b)", reject=r"\bupstream\b|\bbase[- ]model\b", headings=True,
       needs="summary of|content summary|public summary|public_summary"),
    _s("article-citation", "art", rf"{_ART}(\d{{1,3}}(?!\d)(?:\s*\(\s*\w{{1,4}}\s*\))*)", "group",
       negatable=False, flags=0),
    _s("open-source-exemption", "exempt|53",
       r"\bopen[- ]source exemption\b|\bart(?:icle|\.)?\s*53\s*\(\s*2\s*\)"
       r"|\bexempt(?:ed|ion)?\b[^.]{0,60}\bopen[- ]source\b"),
    _s("contact", "@", _EMAIL, "match", negatable=False),
    _s("contact", "http",
       r"\b(?:contact|questions|feedback|issues\s*:)[^\n]{0,80}?<?(https?://[^\s<>)\]|]+)",
       "group", negatable=False),
    _s("copyright-contact", "copyright|dmca|opt|removal",
       r"\bcopyright@[\w.-]+|\bcopyright (?:complaints?|contact|notices?|takedown|infringement "
       r"(?:claims?|reports?|notices?))\b|\bdmca\b|\bopt[- ]out (?:requests?|/ removal)"
       r"|\bremoval requests?\b"),
    _s("robots-txt", "robots|9309", r"\brobots\.txt\b|\brfc ?9309\b"),
    _s("tdm-optout", "tdm|mining|opt|4(|reserv|ai.txt|noai",
       r"\btdm\b|\btext and data mining\b|\btdmrep\b|\bopt[- ]outs?\b|\bart(?:icle|\.)?\s*4\s*"
       r"\(\s*3\s*\)|\breservations? of rights?\b|\bai\.txt\b|\bnoai\b"),
    _s("paywall", "paywall|technological|circumvent",
       r"\bpaywalls?\b|\btechnological (?:protection )?measures\b|\bcircumvent", negatable=False),
    _s("piracy-exclusion", "pira|infring",
       r"\bpira(?:cy|ted)\b|\binfringing (?:web)?sites\b|\b(?:persistently|repeatedly) infring",
       negatable=False),
    _s("infringing-use-prohibited", "infring",
       r"\b(?:prohibit\w*|forbid\w*|must not|may not|shall not|not permitted)\b[^.]{0,80}?"
       r"\binfring\w*|\binfring\w* (?:uses?|outputs?)\b[^.]{0,40}?\b(?:prohibited|forbidden"
       r"|not (?:allowed|permitted))", negatable=False),
    _s("eu-established", "established|based",
       r"\bestablished (?:with)?in the (?:european union|eu)\b|\b(?:eu|europe)[- ]based "
       r"(?:provider|company|organi[sz]ation)\b|\bbased in the (?:eu|european union)\b"),
    _s("authorised-representative", "authori", r"\bauthori[sz]ed representative\b",
       reject=r"\bnot applicable\b|\bn/a\b|\bnone\b|\bnot required\b"),
    # Passing the base's terms on, in ordinary words: "subject to the Llama 3.2 Community License
    # and Acceptable Use Policy", "use of this model is governed by the Gemma Terms of Use", "you
    # must accept the terms at google/gemma-2b", "Terms of Use: <link>".
    _s("gated-terms", "use polic|gated|terms|governed|subject to|agreement",
       r"\b(?:acceptable[- ])?use polic(?:y|ies)\b|\bgated (?:by|with|behind)\b"
       r"|\bterms of use\b[^.]{0,60}\bapply\b|^terms of use\s*[:：]"
       r"|\b(?:use|usage|access|distribution)\b[^.]{0,60}?\b(?:is|are|remains?|shall be)\s+"
       r"(?:also\s+)?(?:governed|bound) by\b"
       r"|\bgoverned by (?:the\s+)?(?:[\w.’'-]+\s+){0,5}?(?:terms(?: of use)?|licen[cs]e agreement"
       r"|community licen[cs]e|acceptable use)\b"
       r"|\bsubject to (?:the\s+)?(?:[\w.’'-]+\s+){0,5}?(?:community licen[cs]e|terms of use"
       r"|licen[cs]e agreement|use polic(?:y|ies)|terms and conditions)\b"
       r"|\b(?:must|need to|needs to|required to|have to|has to|please)\s+(?:first\s+)?"
       r"(?:accept|agree to|review and accept)\b[^.]{0,60}?\b(?:terms|licen[cs]e)\b",
       needs="use polic|gated|terms of use|governed|bound by|subject to|accept|agree to"),
    _s("quantization", "quanti|convert",
       r"\bquanti[sz]ed (?:by|with|to|using|from|versions? of|models? of)\b"
       r"|\bquanti[sz]ations? (?:made |done |created )?(?:by|of)\b|\bdirectly quanti[sz]ed\b"
       r"|\bconverted to (?:the )?(?:gguf|ggml|mlx|awq|gptq|exl2)\b", negatable=False),
    _s("built-with-llama", "built with", r"\bbuilt with (?:meta )?llama\b"),
    _s("notice", "notice|licensed under the llama|gemma terms",
       r"(?-i:\bNOTICE\b)|\bis licensed under the llama [\d.]+ (?:community )?license, copyright\b"
       r"|\bprovided under and subject to the gemma terms of use\b", negatable=False),
)
# fmt: on
"""Statement patterns, tried on every sentence, table row and field line."""

_STATEMENT_KEYS = Keys(k for p in STATEMENTS for k in p.keys)

# A negation governs a statement only within its clause: "Not applicable — provider is
# established within the EU" is not negated, "does not qualify for the exemption" is.
_NEGATION = lazy(r"\b(?:no|not|without|lacks?|missing|never|neither|nor)\b[^.;:,—–]{0,25}$", _I)


@record
class Active:
    """The statement patterns a card can match, and their prefilter keys (for a heading, only
    those of the patterns that read headings: the others are skipped there)."""

    patterns: tuple[StatementPattern, ...]
    keys: tuple[str, ...]
    heading_keys: tuple[str, ...]


def _active(patterns: tuple[StatementPattern, ...]) -> Active:
    keys = tuple(sorted({k for p in patterns for k in p.keys}))
    heading_keys = tuple(sorted({k for p in patterns if p.headings for k in p.keys}))
    return Active(patterns, keys, heading_keys)


ALL = _active(STATEMENTS)


def active_statements(texts: list[str]) -> Active:
    """The statement patterns whose prefilter keys occur somewhere in the card at all."""
    present = _STATEMENT_KEYS.found("\n".join(texts).lower())
    return _active(tuple(p for p in STATEMENTS if not p.keys.isdisjoint(present)))


def statements(
    unit: Unit, file: str, heading: bool = False, active: Active = ALL
) -> list[Statement]:
    """Statements recognised in one unit (for a heading, only the patterns meant for headings)."""
    out: list[Statement] = []
    text = unit.text[:20_000]
    lower = text.lower()
    keys = active.heading_keys if heading else active.keys
    present = {k for k in keys if k in lower}  # the keys once, not once per pattern
    if not present:
        return out
    folded = ""
    for pattern in active.patterns:
        if heading and not pattern.headings:
            continue
        if pattern.keys.isdisjoint(present):
            continue
        if pattern.needs:
            folded = folded or fold(text, lower)
            if not any(n in folded for n in pattern.needs):
                continue
        if pattern.reject is not None and pattern.reject.search(text):
            continue
        for m in pattern.regex.finditer(text):
            if pattern.negatable and _NEGATION.search(text[max(0, m.start() - 40) : m.start()]):
                continue
            value = None
            if pattern.value == "match":
                value = m.group(0)
            elif pattern.value == "group":
                value = re.sub(r"\s+", "", m.group(1)).rstrip(".,;:")
            location = Location(file=file, line=unit.line_at(m.start()))
            out.append(
                Statement(kind=pattern.kind, text=text[:400], value=value, location=location)
            )
    return out
