"""Hand-built audit reports that the format tests render (and compare with golden files).

Built from ``auditor.models`` objects only, so the formats are tested without running the
pipeline: a realistic LoRA adapter over a Llama 3.1 chain, an empty report, a report with an
unresolved target next to a local one, and a report whose card text is hostile.
"""

from __future__ import annotations

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


def loc(file: str, line: int | None = None) -> Location:
    """A location (shorthand)."""
    return Location(file=file, line=line)


def apache() -> License:
    """Apache-2.0 as the license table gives it."""
    return License(
        declared="apache-2.0",
        spdx="Apache-2.0",
        name="Apache License 2.0",
        known=True,
        hub_id=True,
        family="apache",
        attribution=True,
        notice_required=True,
        foss_under_ai_act="yes",
        terms_url="https://spdx.org/licenses/Apache-2.0.html",
    )


def llama31() -> License:
    """The Llama 3.1 Community License (custom terms, a LicenseRef)."""
    return License(
        declared="llama3.1",
        spdx="LicenseRef-scancode-llama-3.1-license-2024",
        name="Llama 3.1 Community License Agreement",
        known=True,
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


def unknown_license() -> License:
    """What the graph records when a repo's license cannot be read."""
    return License(declared=None, spdx="NOASSERTION", name="unknown", known=False)


def adapter_graph() -> LicenseGraph:
    """Subject adapter -> instruct base -> pretrained base, trained on two datasets."""
    nodes = (
        Node(
            id=SUBJECT,
            kind=RepoKind.MODEL,
            role="subject",
            depth=0,
            resolved=True,
            origin="mirror",
            revision=SHA_SUBJECT,
            license=apache(),
            declared_at=loc("README.md", 2),
            card_file="README.md",
            files=("README.md", "adapter_config.json", "adapters.safetensors"),
        ),
        Node(
            id=BASE,
            kind=RepoKind.MODEL,
            role="base",
            depth=1,
            resolved=True,
            origin="mirror",
            revision=SHA_BASE,
            license=llama31(),
            gated=True,
            gated_prompt="You need to agree to share your contact information to access it",
            declared_at=loc("README.md", 3),
            card_file="README.md",
        ),
        Node(
            id=ROOT,
            kind=RepoKind.MODEL,
            role="base",
            depth=2,
            resolved=False,
            reason="gated repository: access not granted (offline mirror has no copy)",
            license=unknown_license(),
            gated=True,
        ),
        Node(
            id=ORCA,
            kind=RepoKind.DATASET,
            role="dataset",
            depth=1,
            resolved=True,
            origin="mirror",
            revision=SHA_ORCA,
            license=License(
                declared="mit",
                spdx="MIT",
                name="MIT License",
                known=True,
                hub_id=True,
                family="mit",
                attribution=True,
                foss_under_ai_act="yes",
            ),
        ),
        Node(
            id=STACK,
            kind=RepoKind.DATASET,
            role="dataset",
            depth=1,
            resolved=True,
            origin="mirror",
            revision=SHA_STACK,
            license=License(
                declared="cc-by-sa-4.0",
                spdx="CC-BY-SA-4.0",
                name="Creative Commons Attribution Share Alike 4.0",
                known=True,
                hub_id=True,
                family="cc-by-sa",
                sharealike=True,
                attribution=True,
                sharealike_compatible=("CC-BY-SA-4.0", "GPL-3.0-only"),
            ),
        ),
    )
    edges = (
        Edge(source=SUBJECT, target=BASE, relation="adapter_of", location=loc("README.md", 3)),
        Edge(source=BASE, target=ROOT, relation="finetune_of"),
        Edge(source=SUBJECT, target=ORCA, relation="trained_on", location=loc("README.md", 5)),
        Edge(
            source=SUBJECT,
            target=STACK,
            relation="trained_on",
            inferred=True,
            location=loc("README.md", 61),
        ),
    )
    return LicenseGraph(
        subject=SUBJECT, nodes=nodes, edges=edges, problems=(f"{ROOT}: not resolved (gated)",)
    )


def adapter_claims() -> CardClaims:
    """The card: front matter plus a training table and prose."""

    def claim(
        name: str, value: int | float | str | list[str], raw: str, line: int, source: str = "table"
    ) -> Claim:
        return Claim(
            name=name,
            value=value,
            raw=raw,
            source=source,  # type: ignore[arg-type]
            location=loc("README.md", line),
        )

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


PACKS = {"adapter": "adapter-integrity", "license": "license-chain", "aiact": "eu-ai-act"}


def adapter_findings() -> tuple[Finding, ...]:
    """Findings of each severity, with and without locations, one waived."""

    def finding(
        rule: str,
        sev: Severity,
        title: str,
        message: str,
        node: str,
        location: Location | None,
        **kw: object,
    ) -> Finding:
        return Finding(
            rule_id=rule,
            severity=sev,
            title=title,
            message=message,
            node=node,
            location=location,
            help_uri=f"docs/rules/{rule}.md",
            pack=PACKS[rule.split(".")[0]],
            **kw,
        )  # type: ignore[arg-type]

    waiver = Waiver(
        rule="adapter.local-path-leak",
        node=SUBJECT,
        reason="Paths are from the public CI runner, not a person's machine",
        owner="mlops@ailiance.fr",
        expires="2027-06-30",
        location=loc(".ailiance-audit.yaml", 4),
    )
    return (
        finding(
            "adapter.rank-mismatch",
            Severity.ERROR,
            "Claimed rank differs from the tensors' inner dimension",
            "The card and adapter_config.json say rank 16 but the lora_a tensors have rank 8.",
            SUBJECT,
            loc("README.md", 40),
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
            loc("README.md", 2),
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
            loc("README.md", 61),
            tags=("license-chain", "contested-law"),
            basis="CC BY-SA 4.0 s.3(b); weights-as-adaptation is contested",
        ),
        finding(
            "license.upstream-unknown",
            Severity.WARNING,
            "An upstream license cannot be established",
            f'The license of "{ROOT}" is unknown: gated repository, access not granted.',
            ROOT,
            None,
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
            None,
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
            loc("adapter_config.json", 2),
            tags=("adapter", "privacy"),
            basis="privacy, reproducibility",
            suppressed_by=waiver,
            fingerprint="e5" * 16,
        ),
    )


def adapter_report() -> AuditReport:
    """One audited adapter target with every kind of data filled in."""
    target = TargetReport(
        target=Target(spec=SUBJECT, repo_id=SUBJECT),
        status="audited",
        snapshot=RepoSnapshot(
            repo_id=SUBJECT,
            kind=RepoKind.MODEL,
            origin="mirror",
            location=f"examples/hub/{SUBJECT}",
            revision=SHA_SUBJECT,
            files=("README.md", "adapter_config.json", "adapters.safetensors"),
        ),
        graph=adapter_graph(),
        claims=adapter_claims(),
        evidence=adapter_evidence(),
        compute=ComputeEstimate(base_model=BASE, base_flop=1.2e24, ft_flop=1.2e17),
        findings=adapter_findings(),
    )
    return AuditReport(
        tool=TOOL,
        policy=POLICY,
        targets=(target,),
        summary=Summary(targets=1, error=2, warning=2, note=0, info=1, suppressed=1),
    )


def empty_report() -> AuditReport:
    """No target at all (e.g. a pre-push hook with no changed card)."""
    return AuditReport(tool=TOOL, policy=POLICY)


def unresolved_report() -> AuditReport:
    """A Hub target that could not be resolved next to a local directory audited without Hub."""
    local_id = "models/devstral-cpp-lora"
    local = TargetReport(
        target=Target(spec=local_id, path=local_id),
        status="audited",
        snapshot=RepoSnapshot(
            repo_id=local_id,
            kind=RepoKind.MODEL,
            origin="local",
            location=local_id,
            files=("adapter_config.json",),
        ),
        graph=LicenseGraph(
            subject=local_id,
            nodes=(
                Node(
                    id=local_id,
                    kind=RepoKind.MODEL,
                    role="subject",
                    depth=0,
                    resolved=True,
                    origin="local",
                    license=unknown_license(),
                ),
            ),
        ),
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
            Finding(
                rule_id="card.missing",
                severity=Severity.ERROR,
                title="No model card",
                message="The repository has no README.md.",
                node=local_id,
                help_uri="docs/rules/card.missing.md",
                fingerprint="f6" * 16,
            ),
            Finding(
                rule_id="adapter.base-unresolvable",
                severity=Severity.WARNING,
                title="The config names its base by a local path",
                message="adapter_config.json names its base as /Users/me/models/devstral.",
                node=local_id,
                location=loc("adapter_config.json", 12),
                help_uri="docs/rules/adapter.base-unresolvable.md",
            ),
        ),
    )
    missing = TargetReport(
        target=Target(spec="Ailiance-fr/missing-lora", repo_id="Ailiance-fr/missing-lora"),
        status="unresolved",
        error="not found in the mirrors or the local cache, and --offline forbids the Hub",
    )
    return AuditReport(
        tool=TOOL,
        policy=POLICY,
        targets=(missing, local),
        summary=Summary(targets=2, unresolved=1, error=1, warning=1),
    )


HOSTILE = (
    "**bold** <script>alert(1)</script> <img src=x onerror=alert(1)> @octocat @org/team "
    "[click](javascript:alert(1)) ![img](https://evil.example/x.png) <https://evil.example> "
    "https://evil.example www.evil.example me@evil.example | cell | break\nnew line\r\n"
    "# heading ``` code ``` `tick` $x^2$ #123 :shipit: &amp; &lt;b&gt; \u202eRTL"
)
HOSTILE_ID = 'evil/x`]"<b>|@octocat</b>'


def hostile_report() -> AuditReport:
    """Card-derived text that tries Markdown, HTML, mentions, links and table breaks."""
    lic = License(
        declared=HOSTILE,
        spdx="LicenseRef-hf-evil",
        name=HOSTILE,
        known=False,
        terms_url="javascript:alert(1)",
        notice_text=HOSTILE,
    )
    subject = "Ailiance-fr/evil-lora"
    graph = LicenseGraph(
        subject=subject,
        nodes=(
            Node(
                id=subject,
                kind=RepoKind.MODEL,
                role="subject",
                depth=0,
                resolved=True,
                origin="hub",
                revision="ab" * 20,
                license=lic,
                card_file="README.md",
            ),
            Node(
                id=HOSTILE_ID,
                kind=RepoKind.MODEL,
                role="base",
                depth=1,
                resolved=False,
                reason=HOSTILE,
                license=unknown_license(),
            ),
            Node(
                id="datasets/evil/data",
                kind=RepoKind.DATASET,
                role="dataset",
                depth=1,
                resolved=True,
                license=License(
                    declared="other",
                    spdx="MIT AND (GPL-3.0-only OR LicenseRef-hf-evil)",
                    name="mixed",
                    known=True,
                ),
            ),
        ),
        edges=(
            Edge(source=subject, target=HOSTILE_ID, relation="adapter_of"),
            Edge(source=subject, target="datasets/evil/data", relation="trained_on"),
        ),
    )
    finding = Finding(
        rule_id="card.front-matter-invalid",
        severity=Severity.ERROR,
        title=HOSTILE,
        message=HOSTILE,
        node=HOSTILE_ID,
        location=loc(f"README.md{HOSTILE[:12]}", 7),
        tags=("x|y",),
        basis=HOSTILE,
        evidence={"raw": HOSTILE},
    )
    claims = CardClaims(
        hyperparameters=(
            Claim(
                name="rank",
                value=HOSTILE,
                raw=HOSTILE,
                source="prose",
                location=loc("README.md", 9),
            ),
        )
    )
    target = TargetReport(
        target=Target(spec=subject, repo_id=subject),
        status="audited",
        graph=graph,
        claims=claims,
        evidence=AdapterEvidence(present=True, rank=8, hyperparameters={"optimizer": HOSTILE}),
        findings=(finding,),
    )
    broken = TargetReport(target=Target(spec=HOSTILE, repo_id=None), status="failed", error=HOSTILE)
    return AuditReport(
        tool=TOOL,
        policy=(HOSTILE,),
        targets=(target, broken),
        summary=Summary(targets=2, unresolved=1, error=1),
    )


def baseline_report() -> AuditReport:
    """The adapter report compared with a baseline: one finding new, one fixed, the rest kept."""
    from auditor.baseline import with_baseline

    report = adapter_report()
    findings = report.targets[0].findings
    gone = Finding(
        rule_id="license.lineage-undeclared",
        severity=Severity.WARNING,
        title="No training datasets declared",
        message=f'"{SUBJECT}" declares no datasets in its metadata.',
        node=SUBJECT,
        location=loc("README.md", 1),
    )
    previous = (*(f for f in findings if f.rule_id != "adapter.rank-mismatch"), gone)
    return with_baseline(report, "git ref main (0123456789ab)", [previous])


CASES = {
    "adapter": adapter_report,
    "empty": empty_report,
    "unresolved": unresolved_report,
    "hostile": hostile_report,
    "baseline": baseline_report,
}
