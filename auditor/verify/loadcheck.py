"""Level ``load``: run the load check where mlx is, and merge its answer into the evidence.

Where it runs (docs/verification.md, "Where the load check runs"): in the load-check worker
when the CLI started one (``worker.py``: mlx-lm imported in parallel with the card audit, hard
memory and time limits), otherwise in this process (library callers, census workers), with the
process's skeleton cache. Both paths give the same answer, as the same JSON; a worker that dies
or runs out of its limits gives a ``not-verified`` problem (fail closed), never a pass.

Kept apart from ``__init__`` so that mlx is imported only at level ``load``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import worker
from .checks import Answer, run_check
from .config import AdapterConfig
from .kinds import Problem
from .tensors import TensorSummary


def load_and_check(
    cfg: AdapterConfig | None,
    weights: Path,
    summary: TensorSummary,
    base: dict[str, Any] | None,
    fields: dict[str, Any],
    problems: list[Problem],
) -> str | None:
    """Skeleton load (when the base and config allow), then value checks; the verifier or None."""
    # absolute: a worker forked earlier may not share this process's working directory
    request = (cfg, os.path.abspath(weights), summary, base, fields.get("scale"))
    answer = worker.ask(request)
    if answer is None:  # no worker: in this process, through the same JSON as the worker's
        answer = json.loads(json.dumps(run_check(*request)))
    return merge(answer, fields, problems)


def merge(answer: Answer, fields: dict[str, Any], problems: list[Problem]) -> str | None:
    """Add an answer's fields and problems to the evidence being collected; its verifier."""
    for key, value in answer["fields"].items():
        fields[key] = tuple(value) if isinstance(value, list) else value
    problems.extend(Problem(kind, message, file) for kind, message, file in answer["problems"])
    verified = answer["verified"]
    return verified if isinstance(verified, str) else None
