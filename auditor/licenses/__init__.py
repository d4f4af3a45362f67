"""License knowledge: the shipped table (``licenses.yaml``), normalisation and text scanning.

``normalise`` turns a declared license (Hub id, SPDX expression, ``other`` + ``license_name``)
into a :class:`~auditor.models.License` with traits; ``scan_text`` finds license names in prose.
Compatibility is exposed as data (``License.sharealike_compatible``) for the CEL policies.
"""

from __future__ import annotations

from auditor.licenses.normalise import normalise, normalise_many
from auditor.licenses.scan import scan_text
from auditor.licenses.table import NOASSERTION, table

__all__ = ["NOASSERTION", "normalise", "normalise_many", "scan_text", "table"]
