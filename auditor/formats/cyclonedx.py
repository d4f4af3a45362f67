"""Formats stage: CycloneDX 1.6 ML-BOM JSON of the license graph.

The audited model is ``metadata.component`` (``machine-learning-model``, bom-ref = repo id, a
``pkg:huggingface`` purl when pinned) with a ``modelCard`` (task, adapter architecture, training
datasets by reference, hyperparameters as properties) and ``pedigree.ancestors`` holding the base
chain; bases are ``machine-learning-model`` components, datasets ``data`` components, and the
``dependencies`` graph repeats every lineage edge. Several targets have no single metadata
component, so then every subject is listed in ``components``.

The JSON is built directly: cyclonedx-python-lib has no ``modelCard`` (version 11 leaves
its ``Component.model_card`` commented out as not yet implemented).
The library still supplies the SPDX id list for licenses, and the tests validate the output with
its strict 1.6 schema. Same report, same bytes: the serial number is a UUIDv5 of the document
namespace and the timestamp appears only when ``SOURCE_DATE_EPOCH`` injects one.
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from cyclonedx.spdx import is_supported_id

from auditor.formats import common, walk
from auditor.formats.base import register
from auditor.models import AuditReport, Edge, License, Node, RepoKind, TargetReport

SCHEMA_URI = "http://cyclonedx.org/schema/bom-1.6.schema.json"
PROP = "ailiance-audit:"  # property namespace (CycloneDX property taxonomy convention)
EMPTY_ID = "ailiance-audit:unnamed"  # bom-refs and names must not be empty (schema minLength)


@register("cyclonedx")
class CycloneDxFormatter:
    """CycloneDX 1.6 JSON (``*.cdx.json``, the extension the CycloneDX spec recommends)."""

    name = "cyclonedx"
    extension = ".cdx.json"

    def render(self, report: AuditReport) -> str:
        """Render the report as one ML-BOM."""
        # ASCII-only (\uXXXX escapes): card text must never reach a terminal as raw C1 or bidi
        # controls (`cat report` in xterm); JSON readers decode the escapes back.
        return json.dumps(build_bom(report), indent=2) + "\n"


def build_bom(report: AuditReport) -> dict[str, Any]:
    """The BOM as a JSON-able dict."""
    nodes = {n.id: n for n in common.nodes(report)}
    edges = [e for e in common.edges(report) if e.source in nodes and e.target in nodes]
    subjects = [s for s in common.subjects(report) if s.target.graph is not None]
    subject_ids = {s.id for s in subjects}
    components = {nid: _component(node) for nid, node in nodes.items()}
    for sub in subjects:
        if sub.id in components:
            _describe_subject(components[sub.id], sub.id, sub.target, nodes, edges)
    metadata = _metadata(report)
    if len(subject_ids) == 1 and next(iter(subject_ids)) in components:
        metadata["component"] = components.pop(next(iter(subject_ids)))
    serial = uuid.uuid5(uuid.NAMESPACE_URL, common.document_namespace(report) + "#cyclonedx")
    out_of = walk.successors(edges)
    deps = [
        {"ref": ref(nid), "dependsOn": sorted({ref(e.target) for e in out_of.get(nid, ())})}
        for nid in sorted(nodes)
    ]
    return {
        "$schema": SCHEMA_URI,
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": serial.urn,
        "version": 1,
        "metadata": metadata,
        "components": [components[k] for k in sorted(components)],
        "dependencies": deps,
    }


def _metadata(report: AuditReport) -> dict[str, Any]:
    """Timestamp (only when injected), the tool, policies and targets that were not audited."""
    metadata: dict[str, Any] = {}
    if "SOURCE_DATE_EPOCH" in os.environ:
        metadata["timestamp"] = common.creation_time().strftime("%Y-%m-%dT%H:%M:%SZ")
    tool = {"type": "application", "name": report.tool.name, "version": report.tool.version}
    metadata["tools"] = {"components": [tool]}
    props = [_prop("policy", p) for p in report.policy]
    props += [
        _prop("target." + t.status, _target_note(t))
        for t in report.targets
        if t.status != "audited"
    ]
    if props:
        metadata["properties"] = props
    return metadata


def ref(node_id: str) -> str:
    """The bom-ref of a node: its id, or a placeholder for an empty one."""
    return node_id or EMPTY_ID


def _prop(name: str, value: object) -> dict[str, str]:
    return {"name": PROP + name, "value": str(value)}


def _target_note(t: TargetReport) -> str:
    return f"{t.target.spec}: {t.error}" if t.error else t.target.spec


def _identity(node: Node) -> dict[str, Any]:
    """type, group, name, version and purl of a repo (shared by components and ancestors)."""
    node_id, kind, revision = node.id, node.kind, node.revision
    rid = common.hub_repo_id(node_id, node.origin)
    group, _, name = (rid or "").rpartition("/")
    out: dict[str, Any] = {"type": "data" if kind == RepoKind.DATASET else "machine-learning-model"}
    if group:
        out["group"] = group
    out["name"] = name or ref(node_id)
    if revision:
        out["version"] = revision
    purl = common.hub_purl(node_id, kind, revision, node.origin)
    if purl:
        out["purl"] = purl
    return out


def _component(node: Node) -> dict[str, Any]:
    comp: dict[str, Any] = {"bom-ref": ref(node.id), **_identity(node)}
    licenses = licenses_of(node.license)
    if licenses:
        comp["licenses"] = licenses
    url = common.hub_url(node.id, node.kind, node.origin)
    if url:
        comp["externalReferences"] = [{"type": "website", "url": url}]
    if node.kind == RepoKind.DATASET:
        data: dict[str, Any] = {"type": "dataset", "name": ref(node.id)}
        if url:
            data["contents"] = {"url": url}
        comp["data"] = [data]
    props = [
        _prop("role", node.role),
        _prop("depth", node.depth),
        _prop("resolved", str(node.resolved).lower()),
    ]
    if node.reason:
        props.append(_prop("unresolved-reason", node.reason))
    if node.license.declared is not None:
        props.append(_prop("license.declared", node.license.declared))
    if node.gated:
        props.append(_prop("gated", "true"))
    comp["properties"] = props
    return comp


def licenses_of(lic: License) -> list[dict[str, Any]]:
    """A CycloneDX license choice: SPDX id, named custom license, or one expression."""
    expr, synthesised = common.declared_expression(lic.spdx)
    if expr is None or expr == "NONE":
        return []
    if is_supported_id(expr):
        return [{"license": {"id": expr, "acknowledgement": "declared"}}]
    if expr.startswith("LicenseRef-") and " " not in expr:  # custom terms: name them
        named: dict[str, Any] = {
            "name": lic.spdx if synthesised else (lic.name or expr),
            "acknowledgement": "declared",
        }
        if lic.terms_url and lic.terms_url.startswith("https://"):
            named["url"] = lic.terms_url
        return [{"license": named}]
    return [{"expression": expr, "acknowledgement": "declared"}]


def _describe_subject(
    comp: dict[str, Any],
    subject: str,
    target: TargetReport,
    nodes: dict[str, Node],
    edges: list[Edge],
) -> None:
    """Add the model card and the pedigree to the subject's component."""
    datasets = sorted(e.target for e in edges if e.source == subject and e.relation == "trained_on")
    bases = sorted(e.target for e in edges if e.source == subject and e.relation != "trained_on")
    params: dict[str, Any] = {}
    if target.claims is not None and target.claims.metadata.pipeline_tag:
        params["task"] = target.claims.metadata.pipeline_tag
    ev = target.evidence
    if ev is not None and ev.present and ev.fine_tune_type:
        params["architectureFamily"] = ev.fine_tune_type
        rank = f" of rank {ev.rank}" if ev.rank is not None else ""
        over = f" over {', '.join(bases)}" if bases else ""
        params["modelArchitecture"] = f"{ev.fine_tune_type} adapter{rank}{over}"
    if datasets:
        params["datasets"] = [{"ref": ref(d)} for d in datasets]
    card: dict[str, Any] = {}
    if params:
        card["modelParameters"] = params
    hyper = [_prop("hyperparameter." + k, v) for k, v in common.hyperparameters(target).items()]
    if hyper:
        card["properties"] = hyper
    if comp["type"] == "machine-learning-model" and card:
        comp["modelCard"] = card
    ancestors = _ancestors(subject, nodes, walk.successors(edges), {subject}, {subject})
    if ancestors:
        comp["pedigree"] = {"ancestors": ancestors}


def _ancestors(
    node_id: str,
    nodes: dict[str, Node],
    out_of: dict[str, list[Edge]],
    path: set[str],
    done: set[str],
) -> list[dict[str, Any]]:
    """The model lineage above a node, nested (each ancestor carries its own ancestors).

    A cycle back into ``path`` is not followed. An ancestor reached along a second path is
    listed there again, but its own pedigree is written once (``done`` is shared by the whole
    walk), so the document stays linear in the graph: a walk path by path is exponential in a
    dense lineage.
    """
    out = []
    for e in out_of.get(node_id, ()):
        if e.relation == "trained_on" or e.target in path:
            continue
        first = e.target not in done
        done.add(e.target)
        base = nodes[e.target]
        anc = _identity(base)
        licenses = licenses_of(base.license)
        if licenses:
            anc["licenses"] = licenses
        upper = _ancestors(base.id, nodes, out_of, path | {base.id}, done) if first else []
        if upper:
            anc["pedigree"] = {"ancestors": upper}
        out.append(anc)
    return out
