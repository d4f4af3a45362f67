"""Card sync: the notices and terms the upstream chain requires a derivative to show.

From the license table (``auditor/licenses/licenses.yaml``) and the graph: the attribution text
("Built with Llama", docs/legal-basis.md §6.4, Llama §1.b.i(B)), the exact notice lines (Llama
§1.b.iii, Gemma ToU §3.1(4)), the flow-down of use restrictions (OpenRAIL-M §III.4, Gemma §3.1(1),
Llama AUP), upstream notice files to carry forward (Apache-2.0 §4(d)), and the extra terms of gated
upstream repositories (e.g. the Apertus acceptable use policy, docs/legal-basis.md §8). Duties sync
cannot discharge (a model-name prefix, copying another repo's notice file) are written as gaps.

Every sentence that names an upstream license also says "upstream", so the card parser never
takes it for this repository's own license.
"""

from __future__ import annotations

import re

from auditor.models import Facts, Node
from auditor.sync.chain import _has_notice_file
from auditor.sync.common import GAP, Rendered, code, hub_link, text

TITLE = "Upstream notices and terms of use"
_AUP = re.compile(r"acceptable[- ]use", re.I)


def _by_license(upstream: list[Node]) -> list[tuple[str, list[Node]]]:
    """Upstream nodes grouped by license (one notice or restriction per license, all nodes)."""
    groups: dict[str, list[Node]] = {}
    for node in upstream:
        groups.setdefault(node.license.spdx, []).append(node)
    return list(groups.items())


def _who(nodes: list[Node]) -> str:
    return ", ".join(code(n.id) for n in nodes)


def _notice_lines(upstream: list[Node]) -> list[str]:
    return [
        f"- Upstream notice ({_who(nodes)}): {text(nodes[0].license.notice_text, 300)}"
        for _, nodes in _by_license(upstream)
        if nodes[0].license.notice_text
    ]


def _terms_lines(upstream: list[Node], name: str) -> tuple[list[str], list[str]]:
    lines: list[str] = []
    gaps: list[str] = []
    for _, nodes in _by_license(upstream):
        lic, who = nodes[0].license, _who(nodes)
        url = lic.terms_url if lic.terms_url and lic.terms_url.startswith("https://") else None
        where = f": <{url}>" if url else ""
        aup = " and its acceptable use policy" if "aup-compliance" in lic.duties else ""
        if "use-restrictions-flowdown" in lic.duties or aup:
            lines.append(
                f"- Upstream use restrictions ({who}): the use restrictions of "
                f"{text(lic.name, 120)}{aup} bind every use of the upstream model and of models "
                f"derived from it, and so apply to anyone using these weights{where}."
            )
        prefix = lic.name_prefix
        if "llama-name-prefix" in lic.duties and prefix:
            words = name.lower().replace("-", " ").replace("_", " ")
            if not words.startswith(prefix.lower()):
                gaps.append(
                    f"the upstream license of {who} asks that the model name start with "
                    f"“{text(prefix, 40)}”"
                )
        if "eu-multimodal-exclusion" in lic.duties:
            gaps.append(
                f"the upstream license of {who} grants no rights for multimodal models to people "
                "domiciled in the European Union: check the model type"
            )
        gaps += [
            f"{code(n.id)} ships a notice file whose attribution notices must be carried "
            "forward in a notice file of the derivative"
            for n in nodes
            if lic.notice_required and not lic.notice_text and _has_notice_file(n)
        ]
    return lines, gaps


def _gated_lines(upstream: list[Node]) -> list[str]:
    out: list[str] = []
    prompts: set[str] = set()
    for node in sorted(upstream, key=lambda n: n.depth):
        if not (node.gated or node.gated_prompt or node.license.gated_terms):
            continue
        if node.gated_prompt and node.gated_prompt in prompts:
            continue  # the same gate further up the chain: named once, at the closest repo
        if node.gated_prompt:
            prompts.add(node.gated_prompt)
        named = (
            " (its gate names an acceptable use policy)"
            if _AUP.search(node.gated_prompt or "")
            else ""
        )
        link = hub_link(node.id, node.kind.value == "dataset")
        out.append(
            f"- Upstream gated terms ({code(node.id)}): access to the upstream repository is "
            f"gated on extra terms that add to its license{named}. They bind everyone who uses "
            f"the upstream model, including through adapters built on it; read and accept them "
            f"at {link or 'its Hub page'}."
        )
    return out


def render(facts: Facts) -> Rendered | None:
    """The ``notices`` section, or None when the chain requires no notice and has no terms."""
    upstream = [n for n in facts.upstream if n.resolved]
    shown = list(dict.fromkeys(
        f"**{text(n.license.attribution_text, 80)}**"
        for n in upstream if n.license.attribution_text
        and any(d.startswith("built-with") for d in n.license.duties)
    ))  # fmt: skip
    notices = _notice_lines(upstream)
    terms, gaps = _terms_lines(upstream, str(facts.derived.get("subject_name", "")))
    gated = _gated_lines(upstream)
    if not (shown or notices or terms or gated or gaps):
        return None
    body: list[str] = []
    for line in shown:
        body += [line, ""]
    for group in (notices, terms, gated):
        if group:
            body += [*group, ""]
    if gaps:
        body += [
            "Duties this section cannot discharge:",
            "",
            *(f"- {g}: _{GAP}_." for g in gaps),
            "",
        ]
    return Rendered(
        role="notices",
        title=TITLE,
        body=tuple(body[:-1]),
        gaps=tuple(f"notices: {g}" for g in gaps),
    )
