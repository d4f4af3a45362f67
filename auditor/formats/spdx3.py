"""Formats stage: SPDX 3.0.1 JSON-LD with the AI and Dataset profiles (``spdx-python-model``).

spdx-tools' SPDX 3 writer crashes on dictionary fields such as ``ai_hyperparameter``
(spdx-tools 0.8: ``TypeError: vars() argument must have __dict__``), so the SPDX project's generated
bindings build and serialise the graph:

* models are ``ai_AIPackage`` (the subject with its hyperparameters, type of model, training
  information and the compliance statements its card makes), datasets ``dataset_DatasetPackage``;
* lineage edges are ``descendantOf`` (plus ``dependsOn`` for an adapter, which needs its base
  to run), ``trained_on`` is ``trainedOn`` (SPDX 3.0.1 Core/RelationshipType);
* every package has exactly one ``hasDeclaredLicense`` (a ``simplelicensing_LicenseExpression``,
  custom ``LicenseRef-…`` ids mapped to ``simplelicensing_SimpleLicensingText`` elements) and one
  ``hasConcludedLicense`` to NoAssertionLicense, as the AI profile's conformance clause requires.

Element ids are IRIs under the document namespace (repo id + revision) and every relationship id
is a hash of its ends, so the same report always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from spdx_python_model import v3_0_1 as s

from auditor.formats import common
from auditor.formats.base import register
from auditor.models import AuditReport, License, Node, RepoKind, TargetReport

NO_ASSERTION = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"
NONE_LICENSE = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoneLicense"
_LINEAGE = {
    "adapter_of": ("descendantOf", "dependsOn"),
    "finetune_of": ("descendantOf",),
    "merge_of": ("descendantOf",),
    "quantized_of": ("descendantOf",),
    "trained_on": ("trainedOn",),
}
_PROFILES = ("core", "software", "simpleLicensing", "ai", "dataset")
# Card statement kinds that name a standard; reported as claims, never as verified compliance.
_STANDARDS = (
    ("copyright", "EU AI Act Art. 53(1)(c) copyright policy"),
    ("training-summary", "EU AI Act Art. 53(1)(d) public summary of training content"),
    ("open-source", "EU AI Act Art. 53(2) open-source exemption"),
    ("code-of-practice", "GPAI Code of Practice"),
)


@register("spdx3")
class Spdx3Formatter:
    """SPDX 3.0.1 JSON-LD (``*.spdx3.json``)."""

    name = "spdx3"
    extension = ".spdx3.json"

    def render(self, report: AuditReport) -> str:
        """Render the report's license graphs as one SPDX 3.0.1 document."""
        out = io.BytesIO()
        # ASCII-only (\uXXXX escapes): card text must never reach a terminal as raw C1 or bidi
        # controls (`cat report` in xterm); JSON readers decode the escapes back.
        s.JSONLDSerializer(indent=2, ensure_ascii=True).write(_Builder(report).build(), out)
        return out.getvalue().decode("utf-8") + "\n"


class _Builder:
    """Collects the elements of one document; each element is created once."""

    def __init__(self, report: AuditReport) -> None:
        self.report = report
        self.ns = common.document_namespace(report)
        self.info = s.CreationInfo(specVersion="3.0.1", created=common.creation_time())
        self.objects: dict[str, Any] = {}
        self.packages: dict[str, str] = {}
        agent = self._element(s.SoftwareAgent, "agent-ailiance-audit", name="ailiance-audit")
        tool = self._element(
            s.Tool,
            f"tool-ailiance-audit-{common.safe_id(report.tool.version)}",
            name=f"ailiance-audit {report.tool.version}",
        )
        self.info.createdBy = [agent]
        self.info.createdUsing = [tool]

    def build(self) -> s.SHACLObjectSet:
        """The object set: document, packages, licenses, agents and relationships."""
        by_target = {sub.id: sub.target for sub in common.subjects(self.report)}
        for node in common.nodes(self.report):
            self.add_package(node, by_target.get(node.id))
        roots = []
        for sub in common.subjects(self.report):
            if sub.id not in self.packages:
                self.add_unresolved(sub)
            roots.append(self.objects[self.packages[sub.id]])
        for edge in common.edges(self.report):
            src, dst = self.packages.get(edge.source), self.packages.get(edge.target)
            if src is None or dst is None:
                continue  # a dangling edge names no element this document can point to
            for rtype in _LINEAGE[edge.relation]:
                self.relate(
                    src,
                    rtype,
                    [dst],
                    comment=f"ailiance-audit relation: "
                    f"{edge.relation}" + (" (inferred)" if edge.inferred else ""),
                )
        doc = s.SpdxDocument(
            spdxId=f"{self.ns}#document",
            creationInfo=self.info,
            name=f"ailiance-audit license graph of {common.document_name(self.report)}",
            profileConformance=[getattr(s.ProfileIdentifierType, p) for p in _PROFILES],
            dataLicense=self.expression("CC0-1.0"),
            rootElement=roots,
            element=[self.objects[k] for k in sorted(self.objects)],
        )
        objset = s.SHACLObjectSet()
        objset.add(doc)
        for key in sorted(self.objects):
            objset.add(self.objects[key])
        return objset

    def _element(self, cls: Any, local: str, **fields: Any) -> Any:
        iri = f"{self.ns}#{local}"
        if iri not in self.objects:  # the bindings reject None, so absent fields are left out
            given = {k: v for k, v in fields.items() if v is not None}
            self.objects[iri] = cls(spdxId=iri, creationInfo=self.info, **given)
        return self.objects[iri]

    def add_package(self, node: Node, target: TargetReport | None) -> None:
        """One AIPackage or DatasetPackage with its two license relationships."""
        rid = common.hub_repo_id(node.id, node.origin)
        url = common.hub_url(node.id, node.kind, node.origin)
        fields: dict[str, Any] = {
            "name": node.id,
            "comment": _comment(node),
            "software_packageVersion": node.revision,
            "software_downloadLocation": url,
            "software_homePage": url,
            "software_packageUrl": common.hub_purl(node.id, node.kind, node.revision, node.origin),
        }
        org = rid.rpartition("/")[0] if rid else ""
        if org:
            fields["suppliedBy"] = self._element(
                s.Organization, f"org-{common.safe_id(org)}", name=org
            )
        if node.kind == RepoKind.DATASET:
            fields.update(
                software_primaryPurpose=s.software_SoftwarePurpose.data,
                dataset_datasetType=[s.dataset_DatasetType.noAssertion],
            )
            if node.resolved:  # Hub gating is a click-through acceptance of terms
                fields["dataset_datasetAvailability"] = (
                    s.dataset_DatasetAvailabilityType.clickthrough
                    if node.gated
                    else s.dataset_DatasetAvailabilityType.directDownload
                )
            cls: Any = s.dataset_DatasetPackage
        else:
            fields["software_primaryPurpose"] = s.software_SoftwarePurpose.model
            if target is not None:
                fields.update(_ai_fields(target))
            cls = s.ai_AIPackage
        local = f"{node.kind.value}-{common.safe_id(rid or node.id)}"
        pkg = self._element(cls, local, **{k: v for k, v in fields.items() if v})
        self.packages[node.id] = pkg.spdxId
        self.add_licenses(pkg.spdxId, node.license)

    def add_unresolved(self, sub: common.Subject) -> None:
        """A target that could not be read: a package asserting nothing but its name."""
        detail = f": {sub.target.error}" if sub.target.error else ""
        cls: Any = s.dataset_DatasetPackage if sub.kind == RepoKind.DATASET else s.ai_AIPackage
        extra = (
            {"dataset_datasetType": [s.dataset_DatasetType.noAssertion]}
            if sub.kind == RepoKind.DATASET
            else {}
        )
        pkg = self._element(
            cls,
            f"target-{common.safe_id(sub.id)}",
            name=sub.id,
            comment=f"target {sub.target.status}{detail}",
            **extra,
        )
        self.packages[sub.id] = pkg.spdxId
        self.add_licenses(
            pkg.spdxId, License(declared=None, spdx="NOASSERTION", name="unknown", known=False)
        )

    def add_licenses(self, pkg: str, lic: License) -> None:
        """``hasDeclaredLicense`` (what the repo says) and ``hasConcludedLicense`` (NoAssertion)."""
        expr, synthesised = common.declared_expression(lic.spdx)
        if expr is None:
            declared: Any = NO_ASSERTION
        elif expr == "NONE":
            declared = NONE_LICENSE
        else:
            declared = self.expression(expr, lic, synthesised)
        self.relate(
            pkg,
            "hasDeclaredLicense",
            [declared],
            comment=f"declared as '{lic.declared}'" if lic.declared else None,
        )
        self.relate(
            pkg,
            "hasConcludedLicense",
            [NO_ASSERTION],
            comment="ailiance-audit reports declared licenses; it does not conclude",
        )

    def expression(self, expr: str, lic: License | None = None, synthesised: bool = False) -> Any:
        """A LicenseExpression element, custom ids mapped to their license texts."""
        key = f"license-{common.safe_id(expr)}"
        if f"{self.ns}#{key}" in self.objects:
            return self.objects[f"{self.ns}#{key}"]
        custom = []
        for ref in common.license_refs(expr):
            text = self._element(
                s.simplelicensing_SimpleLicensingText,
                f"text-{common.safe_id(ref)}",
                name=ref,
                simplelicensing_licenseText=_terms_text(lic, synthesised),
                comment=lic.terms_url if lic and lic.terms_url else None,
            )
            custom.append(s.DictionaryEntry(key=ref, value=text.spdxId))
        return self._element(
            s.simplelicensing_LicenseExpression,
            key,
            simplelicensing_licenseExpression=expr,
            simplelicensing_customIdToUri=custom,
        )

    def relate(self, src: str, rtype: str, to: list[Any], comment: str | None = None) -> None:
        """A relationship whose id is a hash of its ends (stable across runs)."""
        ends = [t if isinstance(t, str) else t.spdxId for t in to]
        digest = hashlib.sha256("\x1f".join([src, rtype, *ends]).encode()).hexdigest()[:16]
        self._element(
            s.Relationship,
            f"rel-{digest}",
            from_=src,
            to=ends,
            relationshipType=getattr(s.RelationshipType, rtype),
            **({"comment": comment} if comment else {}),
        )


def _ai_fields(target: TargetReport) -> dict[str, Any]:
    """AI-profile fields of a subject: hyperparameters, model type, training, compliance claims."""
    fields: dict[str, Any] = {
        "ai_hyperparameter": [
            s.DictionaryEntry(key=k, value=v) for k, v in common.hyperparameters(target).items()
        ],
    }
    ev = target.evidence
    if ev is not None and ev.present:
        fields["ai_typeOfModel"] = [f"{ev.fine_tune_type or 'unknown'} adapter"]
    graph = target.graph
    if graph is not None:
        lineage = [f"{e.relation} {e.target}" for e in graph.edges if e.source == graph.subject]
        if lineage:
            fields["ai_informationAboutTraining"] = "; ".join(sorted(lineage))
    claims = target.claims
    if claims is not None:
        fields["ai_informationAboutApplication"] = claims.metadata.pipeline_tag
        kinds = {st.kind for st in claims.statements}
        fields["ai_standardCompliance"] = [
            f"{name} (stated by the model card, not verified)"
            for key, name in _STANDARDS
            if any(key in kind for kind in kinds)
        ]
    return fields


def _terms_text(lic: License | None, synthesised: bool) -> str:
    if lic is None:
        return "custom license terms"
    if synthesised:
        return f"Declared license text, not an SPDX expression: {lic.spdx}"
    return lic.notice_text or (
        f"Custom terms '{lic.name}' (declared as '{lic.declared or lic.spdx}')"
        "; the full text is not reproduced by ailiance-audit."
    )


def _comment(node: Node) -> str:
    parts = [f"role: {node.role}", f"depth: {node.depth}"]
    if not node.resolved:
        parts.append("not resolved" + (f": {node.reason}" if node.reason else ""))
    if node.gated:
        parts.append("gated on the Hub")
    return "; ".join(parts)
