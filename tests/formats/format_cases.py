"""Hand-built audit reports that the format tests render (and compare with golden files).

Built from ``auditor.models`` objects only, so the formats are tested without running the
pipeline: a realistic LoRA adapter over a Llama 3.1 chain, an empty report, a report with an
unresolved target next to a local one, and a report whose card text is hostile. (Golden files
from real pipeline runs are in test_golden_runs.py.)

The small factories below (``lic``, ``node``, ``edge``, ``claim``, ``finding``, ``snapshot``,
``audited``, ``report``) hold the defaults; each case spells out only what makes it that case.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from auditor.models import (
    AdapterEvidence,
    AuditReport,
    CardClaims,
    CardMetadata,
    Claim,
    ComputeEstimate,
    Edge,
    Finding,
    License,
    LicenseGraph,
    Location,
    Node,
    RepoKind,
    RepoSnapshot,
    Severity,
    Statement,
    Summary,
    Target,
    TargetReport,
    ToolInfo,
    Waiver,
)

TOOL = ToolInfo(version="0.1.0")
SUBJECT = "Ailiance-fr/llama31-math-lora"
BASE = "meta-llama/Llama-3.1-8B-Instruct"
ROOT = "meta-llama/Llama-3.1-8B"
ORCA = "microsoft/orca-math-word-problems-200k"
STACK = "HuggingFaceH4/stack-exchange-preferences"
SHA_SUBJECT = "5438d85a1f0e2b7c9d4e6f8a0b1c2d3e4f5a6b7c"
SHA_BASE = "0e9e39f249a16976918f6564b8830bc894c89659"
SHA_ORCA = "4b3bbd1d1e8e3d4e2f5a6b7c8d9e0f1a2b3c4d5e"
SHA_STACK = "e0b1c2d3a4f5e6d7c8b9a0f1e2d3c4b5a6978812"
POLICY = ("builtin:license-chain", "builtin:adapter-integrity", "builtin:eu-ai-act")
FORMATS = ("sarif", "markdown", "spdx", "spdx3", "cyclonedx")  # the ones with golden files here
PACKS = {"adapter": "adapter-integrity", "license": "license-chain", "aiact": "eu-ai-act"}


# --- factories: the defaults, overridden by keyword -------------------------------------------


def loc(file: str, line: int | None = None) -> Location:
    """A location (shorthand)."""
    return Location(file=file, line=line)


def lic(declared: str | None, spdx: str, name: str, **terms: Any) -> License:
    """A license the table knows (``known=False`` to say otherwise), with its terms."""
    return License(declared=declared, spdx=spdx, name=name, **{"known": True, **terms})


def unknown_license() -> License:
    """What the graph records when a repo's license cannot be read."""
    return lic(None, "NOASSERTION", "unknown", known=False)


def node(nid: str, role: str = "base", depth: int = 1, **fields: Any) -> Node:
    """A resolved model node of unknown license unless told otherwise."""
    defaults: dict[str, Any] = {"kind": RepoKind.MODEL, "resolved": True}
    return Node(
        id=nid,
        role=role,  # type: ignore[arg-type]
        depth=depth,
        **{**defaults, "license": unknown_license(), **fields},
    )


def dataset(nid: str, **fields: Any) -> Node:
    """A resolved dataset node at depth 1."""
    return node(nid, "dataset", kind=RepoKind.DATASET, **fields)


def edge(source: str, target: str, relation: str, **fields: Any) -> Edge:
    """A graph edge."""
    return Edge(source=source, target=target, relation=relation, **fields)  # type: ignore[arg-type]


def claim(
    name: str, value: int | float | str | list[str], raw: str, line: int, source: str = "table"
) -> Claim:
    """A hyperparameter the card claims on a line of README.md."""
    return Claim(
        name=name,
        value=value,
        raw=raw,
        source=source,  # type: ignore[arg-type]
        location=loc("README.md", line),
    )


def finding(
    rule: str, severity: Severity, title: str, message: str, nid: str, **fields: Any
) -> Finding:
    """A finding with the rule's documentation page as its help URI (``help_uri=None`` drops it)."""
    return Finding(
        rule_id=rule,
        severity=severity,
        title=title,
        message=message,
        node=nid,
        **{"help_uri": f"docs/rules/{rule}.md", **fields},
    )


def snapshot(repo_id: str, origin: str, location: str, *files: str, **fields: Any) -> RepoSnapshot:
    """What a source fetched for a model repo."""
    return RepoSnapshot(
        repo_id=repo_id,
        kind=RepoKind.MODEL,
        origin=origin,  # type: ignore[arg-type]
        location=location,
        files=files,
        **fields,
    )


def audited(spec: str, *, path: str | None = None, **fields: Any) -> TargetReport:
    """An audited target (a Hub id, or a local directory when ``path`` is given)."""
    target = Target(spec=spec, path=path) if path else Target(spec=spec, repo_id=spec)
    return TargetReport(target=target, status="audited", **fields)


def report(*targets: TargetReport, policy: tuple[str, ...] = POLICY, **counts: int) -> AuditReport:
    """A report of ``targets`` whose summary has the given counts."""
    summary = Summary(**counts) if counts else Summary()
    return AuditReport(tool=TOOL, policy=policy, targets=targets, summary=summary)


# --- the adapter case -------------------------------------------------------------------------


def apache() -> License:
    """Apache-2.0 as the license table gives it."""
    return lic(
        "apache-2.0",
        "Apache-2.0",
        "Apache License 2.0",
        hub_id=True,
        family="apache",
        attribution=True,
        notice_required=True,
        foss_under_ai_act="yes",
        terms_url="https://spdx.org/licenses/Apache-2.0.html",
    )


def llama31() -> License:
    """The Llama 3.1 Community License (custom terms, a LicenseRef)."""
    return lic(
        "llama3.1",
        "LicenseRef-scancode-llama-3.1-license-2024",
        "Llama 3.1 Community License Agreement",
        hub_id=True,
        family="llama",
        use_restrictions=True,
        attribution=True,
        notice_required=True,
        gated_terms=True,
        mau_limit=True,
        foss_under_ai_act="no",
        notice_text=(
            "Llama 3.1 is licensed under the Llama 3.1 Community License, Copyright © Meta "
            "Platforms, Inc. All Rights Reserved."
        ),
        terms_url="https://www.llama.com/llama3_1/license/",
        duties=("built-with-llama", "name-prefix-llama", "notice"),
    )


def adapter_graph() -> LicenseGraph:
    """Subject adapter -> instruct base -> pretrained base, trained on two datasets."""
    nodes = (
        node(
            SUBJECT,
            "subject",
            0,
            origin="mirror",
            revision=SHA_SUBJECT,
            license=apache(),
            declared_at=loc("README.md", 2),
            card_file="README.md",
            files=("README.md", "adapter_config.json", "adapters.safetensors"),
        ),
        node(
            BASE,
            origin="mirror",
            revision=SHA_BASE,
            license=llama31(),
            gated=True,
            gated_prompt="You need to agree to share your contact information to access it",
            declared_at=loc("README.md", 3),
            card_file="README.md",
        ),
        node(
            ROOT,
            depth=2,
            resolved=False,
            reason="gated repository: access not granted (offline mirror has no copy)",
            gated=True,
        ),
        dataset(
            ORCA,
            origin="mirror",
            revision=SHA_ORCA,
            license=lic(
                "mit",
                "MIT",
                "MIT License",
                hub_id=True,
                family="mit",
                attribution=True,
                foss_under_ai_act="yes",
            ),
        ),
        dataset(
            STACK,
            origin="mirror",
            revision=SHA_STACK,
            license=lic(
                "cc-by-sa-4.0",
                "CC-BY-SA-4.0",
                "Creative Commons Attribution Share Alike 4.0",
                hub_id=True,
                family="cc-by-sa",
                sharealike=True,
                attribution=True,
                sharealike_compatible=("CC-BY-SA-4.0", "GPL-3.0-only"),
            ),
        ),
    )
    edges = (
        edge(SUBJECT, BASE, "adapter_of", location=loc("README.md", 3)),
        edge(BASE, ROOT, "finetune_of"),
        edge(SUBJECT, ORCA, "trained_on", location=loc("README.md", 5)),
        edge(SUBJECT, STACK, "trained_on", inferred=True, location=loc("README.md", 61)),
    )
    return LicenseGraph(
        subject=SUBJECT, nodes=nodes, edges=edges, problems=(f"{ROOT}: not resolved (gated)",)
    )


def adapter_claims() -> CardClaims:
    """The card: front matter plus a training table and prose."""
    return CardClaims(
        metadata=CardMetadata(
            license=("apache-2.0",),
            base_model=(BASE,),
            base_model_relation="adapter",
            datasets=(ORCA,),
            library_name="peft",
            tags=("mlx", "lora", "math"),
            pipeline_tag="text-generation",
            language=("en", "fr"),
            lines={"license": 2, "base_model": 3, "datasets": 5},
        ),
        hyperparameters=(
            claim("rank", 16, "16", 40),
            claim("scale", 2.0, "2.0", 41),
            claim("alpha", 32, "32", 42),
            claim("max_seq_length", 1024, "1024", 43),
            claim("iterations", 500, "500", 44),
            claim("optimizer", "adam", "Adam, LR 1e-5", 45),
            claim("learning_rate", 1e-5, "LR 1e-5", 45),
            claim("optimizer", "adamw", "AdamW", 90, source="prose"),
            claim("target_modules", ["q_proj", "v_proj"], "q_proj, v_proj", 46),
        ),
        statements=(
            Statement(
                kind="copyright-policy",
                text="We respect robots.txt opt-outs.",
                location=loc("README.md", 70),
            ),
            Statement(
                kind="training-summary",
                text="Training content summary: SUMMARY.md",
                value="SUMMARY.md",
                location=loc("README.md", 72),
            ),
        ),
    )


def adapter_evidence() -> AdapterEvidence:
    """What adapter_config.json and the tensors show (the rank is 8, not 16)."""
    return AdapterEvidence(
        present=True,
        config_file="adapter_config.json",
        weights_file="adapters.safetensors",
        format="mlx-lm",
        weights_format="mlx-lm",
        fine_tune_type="lora",
        rank=16,
        tensor_ranks=(8,),
        scale=2.0,
        config_scale=2.0,
        alpha=32.0,
        dropout=0.05,
        target_modules=("self_attn.q_proj", "self_attn.v_proj"),
        tensor_modules=("self_attn.q_proj", "self_attn.v_proj"),
        num_layers=16,
        layers=tuple(range(16, 32)),
        base_num_layers=32,
        trainable_parameters=3407872,
        dtype="bfloat16",
        hyperparameters={
            "optimizer": "adam",
            "learning_rate": 1e-05,
            "iterations": 500,
            "batch_size": 4,
            "max_seq_length": 1024,
        },
        base_model=BASE,
        base_resolved=True,
        verified_with="mlx-lm",
        load_ok=False,
        lora_b_all_zero=False,
        nonfinite=False,
        config_lines={"rank": 9, "scale": 10, "alpha": 11, "iterations": 4},
    )


def adapter_findings() -> tuple[Finding, ...]:
    """Findings of each severity, with and without locations, one waived; each names its pack."""
    waiver = Waiver(
        rule="adapter.local-path-leak",
        node=SUBJECT,
        reason="Paths are from the public CI runner, not a person's machine",
        owner="mlops@ailiance.fr",
        expires="2027-06-30",
        location=loc(".ailiance-audit.yaml", 4),
    )
    findings = (
        finding(
            "adapter.rank-mismatch",
            Severity.ERROR,
            "Claimed rank differs from the tensors' inner dimension",
            "The card and adapter_config.json say rank 16 but the lora_a tensors have rank 8.",
            SUBJECT,
            location=loc("README.md", 40),
            tags=("adapter", "weights"),
            basis="weights",
            fix="Regenerate the card's Training table from adapter_config.json.",
            evidence={"claimed": "16", "tensors": "8"},
            fingerprint="a1" * 16,
        ),
        finding(
            "license.base-terms-dropped",
            Severity.ERROR,
            "The base's custom terms are not carried by this repo's license",
            f'"{SUBJECT}" is Apache-2.0 but its base "{BASE}" is under the Llama 3.1 '
            "Community License, which requires its terms to be passed on.",
            BASE,
            location=loc("README.md", 2),
            tags=("license-chain",),
            basis="legal-basis §6.4",
            fix="Pass the base's terms on: ship its license text and notice. Then declare it.",
            fingerprint="b2" * 16,
        ),
        finding(
            "license.sharealike-leak",
            Severity.WARNING,
            "ShareAlike terms upstream, not carried by this repo's license",
            f'"{SUBJECT}" is Apache-2.0 but trains on ShareAlike CC-BY-SA-4.0 data ({STACK}).',
            STACK,
            location=loc("README.md", 61),
            tags=("license-chain", "contested-law"),
            basis="CC BY-SA 4.0 s.3(b); weights-as-adaptation is contested",
        ),
        finding(
            "license.upstream-unknown",
            Severity.WARNING,
            "An upstream license cannot be established",
            f'The license of "{ROOT}" is unknown: gated repository, access not granted.',
            ROOT,
            tags=("license-chain",),
            basis="legal-basis §6.3",
            fingerprint="c3" * 16,
        ),
        finding(
            "aiact.scope",
            Severity.INFO,
            "EU AI Act scope: training compute estimate",
            "Fine-tuning compute 1.2e17 FLOP is far below one third of the base's 1.2e24 "
            "FLOP: the publisher is not presumed a GPAI provider.",
            SUBJECT,
            tags=("eu-ai-act",),
            basis="GL §17, §63-64",
            fix="Nothing to fix: this records the estimate.",
            summary="not presumed a new GPAI provider: 1.2e17 FLOP vs threshold 4e23 FLOP",
            fingerprint="d4" * 16,
        ),
        finding(
            "adapter.local-path-leak",
            Severity.NOTE,
            "adapter_config.json embeds absolute local paths",
            "adapter_config.json names /home/runner/work/data as its data path.",
            SUBJECT,
            location=loc("adapter_config.json", 2),
            tags=("adapter", "privacy"),
            basis="privacy, reproducibility",
            suppressed_by=waiver,
            fingerprint="e5" * 16,
        ),
    )
    return tuple(replace(f, pack=PACKS[f.rule_id.split(".")[0]]) for f in findings)


def adapter_report() -> AuditReport:
    """One audited adapter target with every kind of data filled in."""
    target = audited(
        SUBJECT,
        snapshot=snapshot(
            SUBJECT,
            "mirror",
            f"examples/hub/{SUBJECT}",
            "README.md",
            "adapter_config.json",
            "adapters.safetensors",
            revision=SHA_SUBJECT,
        ),
        graph=adapter_graph(),
        claims=adapter_claims(),
        evidence=adapter_evidence(),
        compute=ComputeEstimate(base_model=BASE, base_flop=1.2e24, ft_flop=1.2e17),
        findings=adapter_findings(),
    )
    return report(target, targets=1, error=2, warning=2, note=0, info=1, suppressed=1)


# --- the other cases --------------------------------------------------------------------------


def empty_report() -> AuditReport:
    """No target at all (e.g. a pre-push hook with no changed card)."""
    return AuditReport(tool=TOOL, policy=POLICY)


def unresolved_report() -> AuditReport:
    """A Hub target that could not be resolved next to a local directory audited without Hub."""
    local_id = "models/devstral-cpp-lora"
    local = audited(
        local_id,
        path=local_id,
        snapshot=snapshot(local_id, "local", local_id, "adapter_config.json"),
        graph=LicenseGraph(subject=local_id, nodes=(node(local_id, "subject", 0, origin="local"),)),
        claims=CardClaims(present=False),
        evidence=AdapterEvidence(
            present=True,
            config_file="adapter_config.json",
            format="mlx-lm",
            fine_tune_type="lora",
            rank=16,
            scale=2.0,
            alpha=32.0,
            num_layers=-1,
            base_model="/Users/me/models/devstral",
            base_model_is_path=True,
            hyperparameters={"optimizer": "adam", "iterations": 500},
        ),
        findings=(
            finding(
                "card.missing",
                Severity.ERROR,
                "No model card",
                "The repository has no README.md.",
                local_id,
                fingerprint="f6" * 16,
            ),
            finding(
                "adapter.base-unresolvable",
                Severity.WARNING,
                "The config names its base by a local path",
                "adapter_config.json names its base as /Users/me/models/devstral.",
                local_id,
                location=loc("adapter_config.json", 12),
            ),
        ),
    )
    missing = TargetReport(
        target=Target(spec="Ailiance-fr/missing-lora", repo_id="Ailiance-fr/missing-lora"),
        status="unresolved",
        error="not found in the mirrors or the local cache, and --offline forbids the Hub",
    )
    return report(missing, local, targets=2, unresolved=1, error=1, warning=1)


HOSTILE = (
    "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)> @octocat @org/team "
    "[click](javascript:alert(1)) ![img](https://evil.example/x.png) <https://evil.example> "
    "https://evil.example www.evil.example me@evil.example | cell | break\nnew line\r\n"
    "# heading ``` code ``` `tick` $x^2$ #123 :shipit: &amp; &lt;b&gt; \u202eRTL"
)
HOSTILE_ID = 'evil/x`]"<b>|@octocat</b>'


def hostile_report() -> AuditReport:
    """Card-derived text that tries Markdown, HTML, mentions, links and table breaks."""
    subject = "Ailiance-fr/evil-lora"
    hostile_license = lic(
        HOSTILE,
        "LicenseRef-hf-evil",
        HOSTILE,
        known=False,
        terms_url="javascript:alert(1)",
        notice_text=HOSTILE,
    )
    graph = LicenseGraph(
        subject=subject,
        nodes=(
            node(
                subject,
                "subject",
                0,
                origin="hub",
                revision="ab" * 20,
                license=hostile_license,
                card_file="README.md",
            ),
            node(HOSTILE_ID, resolved=False, reason=HOSTILE),
            dataset(
                "datasets/evil/data",
                license=lic("other", "MIT AND (GPL-3.0-only OR LicenseRef-hf-evil)", "mixed"),
            ),
        ),
        edges=(
            edge(subject, HOSTILE_ID, "adapter_of"),
            edge(subject, "datasets/evil/data", "trained_on"),
        ),
    )
    target = audited(
        subject,
        graph=graph,
        claims=CardClaims(hyperparameters=(claim("rank", HOSTILE, HOSTILE, 9, source="prose"),)),
        evidence=AdapterEvidence(present=True, rank=8, hyperparameters={"optimizer": HOSTILE}),
        findings=(
            finding(
                "card.front-matter-invalid",
                Severity.ERROR,
                HOSTILE,
                HOSTILE,
                HOSTILE_ID,
                help_uri=None,
                location=loc(f"README.md{HOSTILE[:12]}", 7),
                tags=("x|y",),
                basis=HOSTILE,
                evidence={"raw": HOSTILE},
            ),
        ),
    )
    broken = TargetReport(target=Target(spec=HOSTILE, repo_id=None), status="failed", error=HOSTILE)
    return report(target, broken, policy=(HOSTILE,), targets=2, unresolved=1, error=1)


def baseline_report() -> AuditReport:
    """The adapter report compared with a baseline: one finding new, one fixed, the rest kept."""
    from auditor.baseline import with_baseline

    adapter = adapter_report()
    findings = adapter.targets[0].findings
    gone = finding(
        "license.lineage-undeclared",
        Severity.WARNING,
        "No training datasets declared",
        f'"{SUBJECT}" declares no datasets in its metadata.',
        SUBJECT,
        help_uri=None,
        location=loc("README.md", 1),
    )
    previous = (*(f for f in findings if f.rule_id != "adapter.rank-mismatch"), gone)
    return with_baseline(adapter, "git ref main (0123456789ab)", [previous])


CASES = {
    "adapter": adapter_report,
    "empty": empty_report,
    "unresolved": unresolved_report,
    "hostile": hostile_report,
    "baseline": baseline_report,
}
