"""One lazily built skeleton per base architecture, lent out for one load check at a time.

Building a skeleton (``Model(ModelArgs.from_dict(config))``) is pure Python over thousands of
modules: about 0.1 s for Apertus-70B's 80 blocks, more for a 61-block MoE. A process that
verifies many adapters of one base (a census batch, a multi-target audit, the load-check worker)
builds it once: :class:`SkeletonCache` keys skeletons by the content of the base config.

A skeleton is not immutable in use: mlx-lm's ``linear_to_lora_layers`` replaces modules in place
(``Linear`` -> ``LoRALinear``) and ``load_weights`` replaces parameters (a ``full`` fine-tune
overwrites base weights). :meth:`SkeletonCache.borrow` therefore records the skeleton's leaf
modules and parameters when it is built and puts them back when the check returns (or raises),
so the next adapter meets the pristine skeleton, never the previous adapter's wrappers. A
skeleton whose restore fails is dropped, never lent again.

The cache is for one process; checks are serialised through a lock (mlx-lm conversion is not
made concurrent, and a skeleton is lent to one check at a time).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

CAPACITY = 4
"""Skeletons kept per process (a skeleton is lazy: a few MB to ~25 MB for a 671B MoE)."""

DROPPED_KEYS = ("quantization", "quantization_config")
"""Quantization changes storage, not the logical shapes LoRA factors are built from, and needs
weights we do not have: it is not part of a skeleton (nor of its key)."""


@dataclass
class Skeleton:
    """A built base model (lazy parameters) and what is derived from it once."""

    model: Any
    base_modules: tuple[str, ...]
    pristine: tuple[Any, Any]  # (leaf modules, parameters) as built


def skeleton_config(base: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a base config a skeleton is built from, as a deep copy: mlx-lm's
    ``ModelArgs.from_dict`` may fill in nested dicts (Gemma-3's ``text_config``), which must
    change neither the caller's config nor the cache key."""
    return copy.deepcopy({k: v for k, v in base.items() if k not in DROPPED_KEYS})


def config_key(base: Mapping[str, Any]) -> str:
    """Content key of a base config (sorted JSON, quantization left out)."""
    text = json.dumps(skeleton_config(base), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class SkeletonCache:
    """Skeletons by base-config content, least recently used dropped past ``capacity``."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = max(1, capacity)
        self.builds = 0
        """How many skeletons this cache has built (N adapters on one base: 1)."""
        self._items: OrderedDict[str, Skeleton] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        """Drop every skeleton (the build count is kept)."""
        with self._lock:
            self._items.clear()

    @contextmanager
    def borrow(
        self, base: Mapping[str, Any], build: Callable[[dict[str, Any]], Any]
    ) -> Iterator[Skeleton]:
        """The skeleton of ``base`` (built by ``build(config)`` on a miss), restored on exit.

        ``build`` raising is the caller's to handle (nothing is cached then).
        """
        key = config_key(base)
        with self._lock:
            skeleton = self._items.pop(key, None)
            if skeleton is None:
                skeleton = _new(build(skeleton_config(base)))
                self.builds += 1
            try:
                yield skeleton
            finally:
                if _restore(skeleton):
                    self._items[key] = skeleton
                    while len(self._items) > self.capacity:
                        self._items.popitem(last=False)


DEFAULT = SkeletonCache()
"""The process's cache: the CLI's worker, a census worker and library callers share it."""


def _new(model: Any) -> Skeleton:
    return Skeleton(
        model=model,
        base_modules=linear_paths(model),
        pristine=(model.leaf_modules(), model.parameters()),
    )


def _restore(skeleton: Skeleton) -> bool:
    """Put the built modules and parameters back; False if that failed (drop the skeleton)."""
    modules, parameters = skeleton.pristine
    try:
        skeleton.model.update_modules(modules)
        skeleton.model.update(parameters)
    except Exception:  # an mlx-lm change we do not know: never lend a half-restored skeleton
        return False
    return True


def linear_paths(model: Any) -> tuple[str, ...]:
    """Block-relative paths of the modules mlx-lm can wrap (its ``get_keys_for_lora`` types)."""
    import mlx.nn as nn

    wrappable = tuple(
        getattr(nn, name)
        for name in ("Linear", "QuantizedLinear", "Embedding", "QuantizedEmbedding")
    )
    return tuple(
        sorted(
            {
                path
                for layer in model.layers
                for path, module in layer.named_modules()
                if isinstance(module, wrappable)
                or hasattr(module, "to_lora")
                or type(module).__name__ in ("SwitchLinear", "QuantizedSwitchLinear")
            }
        )
    )
