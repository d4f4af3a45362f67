"""Probe: what importing the two mlx-lm functions ``--verify load`` uses would cost if mlx-lm
deferred its tokenizer stack (the proposed upstream change in docs/speed.md).

mlx-lm's package ``__init__`` imports ``convert``/``generate``/``utils``, ``mlx_lm.utils``
imports ``tokenizer_utils`` (transformers) at module level, and ``mlx_lm.tuner.__init__``
imports its trainer and datasets (transformers again). This probe stands in for those three
eager imports with empty modules (what PEP 562 lazy attributes upstream would give), imports
``mlx_lm.utils._get_classes`` and ``mlx_lm.tuner.utils.load_adapters`` and reports the time and
whether transformers was loaded. ``--mode stock`` imports the same two names unchanged.

    .venv/bin/python bench/probe_mlx_imports.py --mode lazy|stock
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
import types


def _package(name: str) -> None:
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations is not None
    module = types.ModuleType(name)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    sys.modules[name] = module


def main() -> None:
    """Import the two names and print seconds and the tokenizer-stack modules loaded."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("lazy", "stock"), default="lazy")
    mode = parser.parse_args().mode
    start = time.perf_counter()
    if mode == "lazy":
        _package("mlx_lm")
        _package("mlx_lm.tuner")
        stand_in = types.ModuleType("mlx_lm.tokenizer_utils")
        stand_in.TokenizerWrapper = object  # type: ignore[attr-defined]
        stand_in.load = None  # type: ignore[attr-defined]
        sys.modules["mlx_lm.tokenizer_utils"] = stand_in
    from mlx_lm.tuner.utils import load_adapters  # noqa: F401
    from mlx_lm.utils import _get_classes  # noqa: F401

    loaded = [m for m in ("transformers", "tokenizers", "jinja2") if m in sys.modules]
    print(f"{time.perf_counter() - start:.3f} {','.join(loaded) or '-'}")


if __name__ == "__main__":
    main()
