"""Sources stage: build the Hub source from command-line options (lazily, only when needed)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from auditor.sources.base import Source


def hub_factory(*, offline: bool, args: argparse.Namespace) -> Callable[[], Source | None]:
    """A factory for the Hub source; importing huggingface_hub waits until a repo is missing."""

    def make() -> Source | None:
        try:
            from auditor.sources.hub import HubSource
        except ImportError:  # the Hub source is optional for mirror-only audits
            return None
        return HubSource(offline=offline)  # type: ignore[call-arg]

    return make
