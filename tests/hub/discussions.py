"""Discussions and pull requests on the loopback Hub: the endpoints huggingface_hub 2.4 calls.

- ``GET /api/whoami-v2`` (the user a token belongs to: :meth:`Discussions.add_user`);
- ``GET /api/{models,datasets}/{id}/discussions`` (paged list), ``POST`` the same path (create a
  discussion or pull request; a pull request gets ``refs/pr/N`` at its base);
- ``GET .../discussions/{num}`` (details with ``events``, ``changes.base``);
- ``POST .../discussions/{num}/comment`` (``{"comment"}`` -> ``newMessage``) and
  ``POST .../discussions/{num}/comment/{id}/edit`` (``{"content"}`` -> ``updatedComment``; only
  the comment's author may edit it, as on the Hub).

Pushes to a pull request are :meth:`Discussions.push` (a new commit on ``refs/pr/N``). Shapes are
those ``huggingface_hub.community.deserialize_event`` and ``HfApi.get_discussion_details`` read.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.hub.hubdata import HubData

if TYPE_CHECKING:
    from tests.hub.handler import HubHandler

FIXED_DATE = "2025-01-01T00:00:00.000Z"
_PATH = re.compile(
    r"^/api/(?P<kind>models|datasets)/(?P<repo>[^/]+/[^/]+)/discussions"
    r"(?:/(?P<num>\d+)(?P<comment>/comment(?:/(?P<cid>[0-9a-f]+)/edit)?)?)?$"
)


@dataclass
class Comment:
    """One comment event of a discussion."""

    id: str
    author: str
    content: str
    edited: bool = False
    hidden: bool = False

    def event(self) -> dict[str, Any]:
        """The event as the Hub serialises it."""
        return {
            "id": self.id,
            "type": "comment",
            "createdAt": FIXED_DATE,
            "author": {"name": self.author, "type": "user"},
            "data": {
                "edited": self.edited,
                "hidden": self.hidden,
                "latest": {"raw": self.content, "html": "", "updatedAt": FIXED_DATE},
            },
        }


@dataclass
class Discussion:
    """A discussion or pull request of one repo."""

    kind: str
    repo_id: str
    num: int
    title: str
    author: str
    is_pr: bool
    status: str = "open"
    base: str = "refs/heads/main"
    comments: list[Comment] = field(default_factory=list)

    def body(self, details: bool) -> dict[str, Any]:
        """The JSON of the list (``details=False``) or details endpoint."""
        out: dict[str, Any] = {
            "num": self.num,
            "title": self.title,
            "status": self.status,
            "isPullRequest": self.is_pr,
            "createdAt": FIXED_DATE,
            "author": {"name": self.author},
            "repo": {"name": self.repo_id, "type": self.kind},
        }
        if details:
            out["events"] = [c.event() for c in self.comments]
            out["changes"] = {"base": self.base} if self.is_pr else {}
            out["filesWithConflicts"] = [] if self.is_pr else None
            out["diff"] = ""
        return out


class Discussions:
    """Thread-safe store of every repo's discussions, users and comments."""

    def __init__(self, data: HubData) -> None:
        self.data = data
        self.users: dict[str, str] = {}  # token -> user name
        self._items: dict[tuple[str, str], list[Discussion]] = {}
        self._ids = itertools.count(1)
        self.lock = threading.Lock()

    def add_user(self, token: str, name: str) -> None:
        """Let ``token`` act as user ``name`` (whoami, comments)."""
        with self.lock:
            self.users[token] = name

    def open_pr(
        self,
        kind: str,
        repo_id: str,
        changes: dict[str, bytes | None] | None = None,
        *,
        title: str = "Update card",
        author: str = "contributor",
        base: str = "main",
    ) -> tuple[int, str]:
        """Open a pull request (``refs/pr/N`` = base + ``changes``); returns ``(N, sha)``."""
        with self.lock:
            items = self._items.setdefault((kind, repo_id.lower()), [])
            num = len(items) + 1
            items.append(
                Discussion(kind, repo_id, num, title, author, True, base=f"refs/heads/{base}")
            )
        sha = self.data.add_revision(kind, repo_id, f"refs/pr/{num}", changes or {}, base=base)
        return num, sha

    def push(self, kind: str, repo_id: str, num: int, changes: dict[str, bytes | None]) -> str:
        """A new commit on ``refs/pr/N``; returns its sha."""
        ref = f"refs/pr/{num}"
        return self.data.add_revision(kind, repo_id, ref, changes, base=ref)

    def get(self, kind: str, repo_id: str, num: int) -> Discussion | None:
        """One discussion, or None."""
        with self.lock:
            items = self._items.get((kind, repo_id.lower()), [])
            return items[num - 1] if 0 < num <= len(items) else None

    def comments(self, kind: str, repo_id: str, num: int) -> list[Comment]:
        """A copy of the comments of a discussion."""
        found = self.get(kind, repo_id, num)
        with self.lock:
            return [Comment(**vars(c)) for c in found.comments] if found else []

    # ------------------------------------------------------------------ HTTP

    def route(
        self, handler: HubHandler, method: str, path: str, query: dict[str, list[str]]
    ) -> bool:
        """Serve a discussion or whoami request; False when ``path`` is not one of them."""
        if path == "/api/whoami-v2":
            user = self._user(handler)
            if user is None:
                handler._error(401, "Invalid credentials in Authorization header", None, method)
            else:
                handler._json(200, {"type": "user", "name": user, "auth": {}}, method)
            return True
        match = _PATH.match(path)
        if match is None:
            return False
        kind = "model" if match["kind"] == "models" else "dataset"
        repo_id = match["repo"].replace("%2F", "/")
        if self.data.get(kind, repo_id) is None:
            handler._error(404, "Repository not found", "RepoNotFound", method)
            return True
        if match["num"] is None:
            self._collection(handler, method, kind, repo_id, query)
            return True
        found = self.get(kind, repo_id, int(match["num"]))
        if found is None:
            handler._error(404, "Discussion not found", None, method)
        elif method == "GET" and match["comment"] is None:
            handler._json(200, found.body(details=True), method)
        elif method == "POST" and match["comment"] is not None:
            self._comment(handler, found, match["cid"])
        else:
            handler._error(405, "Method not allowed", None, method)
        return True

    def _user(self, handler: HubHandler) -> str | None:
        token = handler._token()
        with self.lock:
            return self.users.get(token) if token else None

    def _collection(
        self, handler: HubHandler, method: str, kind: str, repo_id: str, q: dict[str, list[str]]
    ) -> None:
        if method == "POST":
            user = self._user(handler)
            if user is None:
                handler._error(401, "Unauthorized", None, method)
                return
            body = json.loads(getattr(handler, "body", b"") or b"{}")
            if body.get("pullRequest"):
                num, _ = self.open_pr(kind, repo_id, title=str(body.get("title")), author=user)
            else:
                with self.lock:
                    items = self._items.setdefault((kind, repo_id.lower()), [])
                    num = len(items) + 1
                    items.append(Discussion(kind, repo_id, num, str(body["title"]), user, False))
            handler._json(200, {"num": num}, method)
            return
        page = int(q.get("p", ["0"])[0] or 0)
        with self.lock:
            items = list(self._items.get((kind, repo_id.lower()), []))
        chunk = items[page * 50 : page * 50 + 50]
        handler._json(
            200,
            {
                "discussions": [d.body(details=False) for d in chunk],
                "count": len(items),
                "start": page * 50,
            },
            method,
        )

    def _comment(self, handler: HubHandler, found: Discussion, cid: str | None) -> None:
        user = self._user(handler)
        if user is None:
            handler._error(401, "Unauthorized", None, "POST")
            return
        body = json.loads(getattr(handler, "body", b"") or b"{}")
        with self.lock:
            if cid is None:
                digest = hashlib.sha1(f"c{next(self._ids)}".encode()).hexdigest()[:24]
                comment = Comment(digest, user, str(body["comment"]))
                found.comments.append(comment)
                handler._json(200, {"newMessage": comment.event()}, "POST")
                return
            hits = [c for c in found.comments if c.id == cid]
            if not hits or hits[0].author != user:
                handler._error(403 if hits else 404, "Cannot edit this comment", None, "POST")
                return
            hits[0].content, hits[0].edited = str(body["content"]), True
            handler._json(200, {"updatedComment": hits[0].event()}, "POST")
