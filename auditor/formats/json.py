"""Formats stage: the JSON report, ``AuditReport`` as in ``auditor/schema/report.schema.json``."""

from __future__ import annotations

import json

from auditor.formats.base import register
from auditor.models import AuditReport
from auditor.models.codec import dump, json_schema


@register("json")
class JsonFormatter:
    """Sorted keys, two-space indent: the same report always gives the same bytes."""

    name = "json"
    extension = ".json"

    def render(self, report: AuditReport) -> str:
        """Render the report."""
        return json.dumps(dump(report), indent=2, sort_keys=True) + "\n"


def schema() -> str:
    """The JSON Schema of the report (kept in the repo and checked by a test)."""
    return json.dumps(json_schema(AuditReport), indent=2, sort_keys=True) + "\n"
