"""Sources stage: what the Hub source keeps of an API answer (the cache record, gate terms), and
the environment and token it asks with."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from huggingface_hub import constants, get_token
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from auditor.errors import TargetError
from auditor.models import RepoKind
from auditor.sources.hub_errors import is_transport

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


class QuietProgress:
    """A silent progress bar for ``hf_hub_download``: our own display owns the terminal
    (huggingface_hub instantiates a non-tqdm class as is and only enters it and updates it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        return

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return

    def update(self, n: float = 1) -> None:
        """Ignore progress."""
        return


def default_hf_cache() -> Path:
    """The HF file cache as huggingface_hub resolves it, read from the environment now."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    return Path(constants.HF_HUB_CACHE)


def pick_token(token: str | bool | None) -> str | None:
    """The token to send: ``False`` none, a string itself, ``None`` huggingface_hub's lookup."""
    if token is False:
        return None
    if isinstance(token, str):
        return token or None
    try:
        return get_token()
    except Exception:  # e.g. a failing OIDC exchange: go anonymous, gated repos will say so
        return None


def safe_name(filename: str) -> bool:
    """Repo-relative POSIX names only: the listing comes from the server (untrusted)."""
    parts = filename.split("/")
    return (
        bool(filename)
        and not filename.startswith("/")
        and "\\" not in filename
        and all(p not in ("", ".", "..") for p in parts)
    )


def is_hub_failure(exc: BaseException) -> bool:
    """Errors that mean "the Hub could not give it" (HTTP, I/O, transport), not a bug."""
    return isinstance(
        exc, HfHubHTTPError | OSError | OfflineModeIsEnabled | ValueError
    ) or is_transport(exc)


def api_record(repo_id: str, kind: RepoKind, info: Any) -> dict[str, Any]:
    """What we keep of an API answer: JSON-able, enough to rebuild the snapshot offline.

    The answer is untrusted: file names that are not strings or not safe repo paths are dropped,
    and card data that is not a mapping is ignored (the card itself is read from README.md).
    """
    sizes: dict[str, int] = {}
    files: set[str] = set()
    for sib in info.siblings or []:
        name = getattr(sib, "rfilename", None)
        if not isinstance(name, str) or not safe_name(name):
            continue
        files.add(name)
        lfs = getattr(sib, "lfs", None)
        size = getattr(lfs, "size", None) if lfs is not None else getattr(sib, "size", None)
        if isinstance(size, int) and not isinstance(size, bool):
            sizes[name] = size
    card_data = getattr(info, "card_data", None)
    try:
        card = card_data.to_dict() if card_data is not None else None
    except (AttributeError, TypeError, ValueError):
        card = None
    return {
        "repo_id": repo_id,
        "kind": kind.value,
        "sha": info.sha,
        "files": sorted(files),
        "sizes": sizes,
        "gated": info.gated if isinstance(info.gated, bool | str) else False,
        "private": bool(info.private),
        "card_data": card if isinstance(card, dict) else None,
    }


def checked_record(repo_id: str, kind: RepoKind, info: Any, what: str) -> dict[str, Any]:
    """:func:`api_record` of an answer that pins a commit; a malformed answer is a TargetError."""
    if not info.sha:
        raise TargetError(
            f"{what}: the Hub answer has no commit sha, so the repo cannot be pinned",
            reason="network",
        )
    if not isinstance(info.sha, str) or not FULL_SHA.fullmatch(info.sha):
        raise TargetError(
            f"{what}: the Hub's answer is malformed (its sha is not a commit sha)",
            reason="malformed",
        )
    try:
        return api_record(repo_id, kind, info)
    except (AttributeError, TypeError, ValueError) as exc:
        problem = f"{type(exc).__name__}"
    raise TargetError(f"{what}: the Hub's answer is malformed ({problem})", reason="malformed")


def gate_terms(records: list[dict[str, Any]]) -> str | None:
    """The gate's terms as the card states them (``extra_gated_prompt`` and asked fields)."""
    for record in records:
        card = record.get("card_data") or {}
        prompt = card.get("extra_gated_prompt")
        fields = card.get("extra_gated_fields")
        parts = []
        if isinstance(prompt, str) and prompt.strip():
            text = " ".join(prompt.split())
            parts.append(text if len(text) <= 400 else text[:400] + "…")
        if isinstance(fields, dict) and fields:
            parts.append("asks for: " + ", ".join(str(k) for k in fields))
        if parts:
            return " ".join(parts)
    return None
