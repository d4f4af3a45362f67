"""The data model's ground: the base class, repository kinds, the severity and level
vocabularies, places in files, targets and snapshots (the sources stage's types)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

# Declared without pydantic (``--help`` lists the levels); re-exported here with the model.
from auditor.models.frozen import Frozen as Frozen
from auditor.models.frozen import model as model
from auditor.severity import FAIL_ON as FAIL_ON
from auditor.severity import VERIFY_LEVELS as VERIFY_LEVELS
from auditor.severity import Severity as Severity
from auditor.severity import VerifyLevel as VerifyLevel

SCHEMA_VERSION = "1.0"

ScalarValue = int | float | str | bool
ClaimValue = int | float | str | list[str]


# Hub repo ids: "name" or "org/name" (HF naming rules). Here, in the data model, because the
# sources stage and the graph stage both need it and stages share only this module.
_REPO_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]{0,95}/)?[A-Za-z0-9][\w.-]{0,95}$")


def is_repo_id(text: str) -> bool:
    """True when ``text`` is shaped like a Hub repo id (``org/name``), with no ``..``."""
    return bool(_REPO_ID.match(text)) and ".." not in text


class RepoKind(StrEnum):
    """What kind of Hub repository a node is."""

    MODEL = "model"
    DATASET = "dataset"


# A node's place in the lineage, and how a repository was made from an upstream one.
Role = Literal["subject", "base", "dataset"]
Relation = Literal["adapter_of", "finetune_of", "merge_of", "quantized_of", "trained_on"]


@model
class Location(Frozen):
    """A place in an audited file; ``line`` is 1-based."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


# --------------------------------------------------------------------------- sources


@model
class Target(Frozen):
    """What the user asked to audit: a Hub id (``org/name``, ``datasets/org/name``) or a path."""

    spec: str
    repo_id: str | None = None
    kind: RepoKind = RepoKind.MODEL
    path: str | None = None
    revision: str | None = None


@model
class RepoSnapshot(Frozen):
    """A repository pinned where possible to a revision, with its file listing."""

    repo_id: str
    kind: RepoKind
    origin: Literal["local", "git", "mirror", "cache", "hub"]
    location: str
    revision: str | None = None
    files: tuple[str, ...] = ()
    gated: bool = False
    ref: str | None = None  # the revision asked for (branch, tag, refs/pr/N); revision is its sha
    # A git work tree whose files differ from ``revision`` (uncommitted or untracked changes).
    modified: bool = False
    # Why the file listing stopped early (a cap was reached): ``files`` is partial. Files the audit
    # reads are still looked up by path; this is a finding, never a reason to call a file missing.
    listing_truncated: str | None = None
