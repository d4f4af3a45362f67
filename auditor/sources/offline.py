"""Sources stage: whether the environment turns offline mode on, read as huggingface_hub reads it.

huggingface_hub (``constants.HF_HUB_OFFLINE``) takes ``HF_HUB_OFFLINE``, or ``TRANSFORMERS_OFFLINE``
when that is unset or empty, and counts ``1``, ``ON``, ``YES`` and ``TRUE`` in any case as on;
anything else (``0``, ``false``, a blank, `` 1`` with a space) is off. Every reader of the switch in
this project (the options, ``--author`` listings, the pre-push hook, the Hub source) calls
:func:`offline_from_env`, so a value cannot mean offline to one and online to another. It reads
the environment at each call (huggingface_hub reads it once, at import) and imports nothing from
huggingface_hub, because a mirror-only run never imports that library.
"""

from __future__ import annotations

import os

TRUE_VALUES = frozenset({"1", "ON", "YES", "TRUE"})  # huggingface_hub's ENV_VARS_TRUE_VALUES


def offline_from_env() -> bool:
    """Whether ``HF_HUB_OFFLINE`` (else ``TRANSFORMERS_OFFLINE``) turns offline mode on."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE")
    return value is not None and value.upper() in TRUE_VALUES
