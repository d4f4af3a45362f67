"""Check a PEFT adapter's tensors, by name and shape, against the model mlx-lm builds.

PEFT names tensors after the transformers module tree (``base_model.model.`` + the module path
+ ``lora_A.weight``...); mlx-lm builds its own tree. Rather than renaming by string rules and
hoping, each PEFT module is resolved to a module of the skeleton mlx-lm built for the base, and
the factor shapes are checked against that module's real dimensions:

- blocks: whatever path transformers puts before ``layers.N`` / ``h.N`` / ``blocks.N``
  (``model.``, ``model.language_model.`` since transformers 4.52, ``language_model.model.``
  before it, ``gpt_neox.``) is the skeleton's ``model.layers[N]``; the block-relative path is
  looked up in that block (``self_attn.q_proj``, GPT-NeoX ``attention.query_key_value``);
- per-expert MoE LoRA (``mlp.experts.E.gate_proj``, Mixtral ``block_sparse_moe.experts.E.w1``)
  is checked against expert E of mlx-lm's stacked ``switch_mlp`` layer;
- DeepSeek's ``kv_b_proj``, which mlx-lm splits into ``embed_q`` / ``unembed_out``, is checked
  against the dimensions of the two halves (``kv_lora_rank`` in,
  ``heads * (qk_nope_head_dim + v_head_dim)`` out);
- outside the blocks (``embed_tokens``, ``lm_head``; a tied ``lm_head`` is the embedding
  transposed) the module with the same name in the skeleton;
- vision and audio towers are not built by mlx-lm (a text model): their tensors are listed as
  unchecked, never counted as verified.

``modules_to_save`` copies are checked against the full weight shape. Expected ranks follow
``rank_pattern`` (PEFT's own matching, see ``patterns.py``) and a regex ``target_modules`` must
match every adapted module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .config import AdapterConfig
from .patterns import Matcher
from .tensors import TOWERS as _TOWERS
from .tensors import TensorSummary

_BLOCK = re.compile(r"^(?P<prefix>(?:.*\.)?)(?:layers|h|blocks)\.(?P<index>\d+)\.(?P<rel>.+)$")
_EXPERT = re.compile(r"^(?P<moe>.+)\.experts\.(?P<expert>\d+)\.(?P<proj>[^.]+)$")
_MIXTRAL = {"w1": "gate_proj", "w2": "down_proj", "w3": "up_proj"}


@dataclass(frozen=True)
class Dims:
    """What a PEFT factor must fit: ``n_in`` inputs, ``n_out`` outputs, the module's weight."""

    path: str
    n_in: int
    n_out: int
    weight: tuple[int, ...]
    direct: bool = True


@dataclass
class PeftCheck:
    """The outcome: one line per tensor that does not fit, per-module rank disagreements."""

    errors: list[str] = field(default_factory=list)
    rank_mismatches: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    scales: dict[str, float] = field(default_factory=dict)
    config_modules: tuple[str, ...] = ()
    patterns_evaluated: bool = True


class _Tree:
    """The skeleton's modules, indexed once per check (an adapter from a stranger may name
    200,000 tensors): each block's modules by relative path, the rest by their last name."""

    def __init__(self, model: Any) -> None:
        self.layers = model.layers
        self._model = model
        self._blocks: dict[int, dict[str, Any]] = {}
        self._tops: dict[str, tuple[str, Any]] | None = None

    def block(self, index: int) -> dict[str, Any]:
        if index not in self._blocks:
            self._blocks[index] = dict(self.layers[index].named_modules())
        return self._blocks[index]

    def top(self, leaf: str) -> tuple[str, Any] | None:
        """The first module (by path) outside the blocks and towers whose last name is ``leaf``."""
        if self._tops is None:
            self._tops = {}
            for path, m in sorted(self._model.named_modules(), key=lambda pm: str(pm[0])):
                if ".layers." not in path and not _TOWERS.search(path):
                    self._tops.setdefault(path.rsplit(".", 1)[-1], (path, m))
        return self._tops.get(leaf)


def check(cfg: AdapterConfig, model: Any, summary: TensorSummary) -> PeftCheck:
    """Resolve every PEFT tensor of ``summary`` on ``model`` and check its shape and rank."""
    out = PeftCheck()
    matcher = Matcher()
    tree = _Tree(model)
    resolved: dict[str, Dims | str | None] = {}
    for t in summary.tensors:
        if t.module not in resolved:
            resolved[t.module] = _resolve(tree, t.module)
        dims = resolved[t.module]
        if dims is None:
            out.unchecked.append(t.name)
            continue
        if isinstance(dims, str):
            out.errors.append(f"{t.name}: {dims}")
            continue
        shape = summary.shapes.get(t.name, ())
        problem = _shape_problem(t.role, shape, dims)
        if problem:
            out.errors.append(f"{t.name}: {problem}")
    for module in sorted(m for m, d in resolved.items() if isinstance(d, Dims)):
        _module_config(cfg, module, summary, matcher, out)
    for name in summary.saved:
        _check_saved(tree, name, summary.shapes.get(name, ()), out)
    renamed = any(isinstance(d, Dims) and not d.direct for d in resolved.values())
    if not renamed:  # the skeleton's names are transformers' names: compare module sets
        out.config_modules = _targeted(cfg, model, summary)
    out.patterns_evaluated = not matcher.exhausted
    out.unchecked.sort()
    return out


def _check_saved(tree: _Tree, name: str, got: tuple[int, ...], out: PeftCheck) -> None:
    """A ``modules_to_save`` copy against the skeleton's own parameter: a Linear's or an
    Embedding's weight (unquantised shape), else the module's parameter of that name (a norm's
    weight, a bias), whatever the module's type."""
    module, leaf = name.rsplit(".", 1)
    dims = _resolve(tree, module)
    want: tuple[int, ...] | None = None
    if isinstance(dims, Dims):
        want, where = (dims.weight if leaf == "weight" else (dims.n_out,)), dims.path
    else:
        found = _module_at(tree, module)
        param = getattr(found[1], leaf, None) if found else None
        if found and param is not None and hasattr(param, "shape"):
            want, where = tuple(param.shape), found[0]
    if want is None:
        out.errors.append(f"{name}: {dims or f'no parameter {leaf} of {module} in the base'}")
    elif got != want:
        out.errors.append(f"{name}: shape {_fmt(got)} but {where} is {_fmt(want)}")


def _module_at(tree: _Tree, module: str) -> tuple[str, Any] | None:
    """The skeleton's module for a PEFT module path (blocks by index, else by name), any type."""
    block = _BLOCK.match(module)
    if block is None:
        return tree.top(module.rsplit(".", 1)[-1])
    index, rel = int(block["index"]), block["rel"]
    found = tree.block(index).get(rel) if index < len(tree.layers) else None
    return (f"layers.{index}.{rel}", found) if found is not None else None


def _module_config(
    cfg: AdapterConfig, module: str, summary: TensorSummary, matcher: Matcher, out: PeftCheck
) -> None:
    """Rank and scale PEFT gives ``module`` (rank_pattern, alpha_pattern); regex targets."""
    rank = cfg.rank
    pattern_rank = matcher.pattern_value(cfg.rank_pattern, module) if cfg.rank_pattern else None
    if pattern_rank is not None:
        rank = int(pattern_rank)
    got = summary.module_ranks.get(module)
    known = not matcher.exhausted  # a pattern that could not be evaluated proves nothing
    if cfg.rank_pattern and known and rank is not None and got is not None and got != rank:
        source = "rank_pattern" if pattern_rank is not None else "r (no rank_pattern entry)"
        out.rank_mismatches.append(f"{module}: rank {got}, {source} says {rank}")
    alpha = matcher.pattern_value(cfg.alpha_pattern, module) if cfg.alpha_pattern else None
    if rank and (alpha is not None or pattern_rank is not None):
        base_alpha = alpha if alpha is not None else (cfg.alpha if cfg.alpha is not None else 8.0)
        out.scales[module] = base_alpha / (rank**0.5 if cfg.rslora else rank)
    if cfg.target_regex and matcher.fullmatch(cfg.target_modules[0], module) is False:
        out.errors.append(f"{module}: not matched by the target_modules regex")


def _targeted(cfg: AdapterConfig, model: Any, summary: TensorSummary) -> tuple[str, ...]:
    """Block-relative modules PEFT wraps per ``target_modules`` (a list, or ``all-linear``).

    A list entry matches a module whose name is the entry or ends with ``.`` + entry (PEFT's
    ``check_target_module_exists``); a regex is matched against each adapted module instead
    (see ``check``), so it yields no set here. Modules outside the blocks (``lm_head``,
    ``embed_tokens``) count when the adapter holds them and a list entry names them.
    """
    import mlx.nn as nn

    linear_type = getattr(nn, "Linear")  # noqa: B009 (mlx ships no type information)
    if cfg.target_regex or not cfg.target_modules:
        return ()
    linear = sorted(
        {
            p
            for layer in model.layers
            for p, m in layer.named_modules()
            if isinstance(m, linear_type)
        }
    )
    if cfg.target_modules == ("all-linear",):
        return tuple(linear)
    targets = cfg.target_modules

    def named(path: str) -> bool:
        return any(path == t or path.endswith("." + t) for t in targets)

    top = {
        t.module
        for t in summary.tensors
        if not _BLOCK.match(t.module) and not _TOWERS.search(t.module) and named(t.module)
    }
    return tuple(sorted({p for p in linear if named(p)} | top))


def _shape_problem(role: str, shape: tuple[int, ...], dims: Dims) -> str | None:
    if role == "magnitude":
        ok = shape == (dims.n_out,)
        return None if ok else f"magnitude {_fmt(shape)} but {dims.path} has {dims.n_out} outputs"
    if len(shape) != 2:
        return f"shape {_fmt(shape)} is not a 2-D LoRA factor"
    if role == "a" and shape[1] != dims.n_in:
        return f"lora_A is {_fmt(shape)} (r x in) but {dims.path} takes {dims.n_in} inputs"
    if role == "b" and shape[0] != dims.n_out:
        return f"lora_B is {_fmt(shape)} (out x r) but {dims.path} has {dims.n_out} outputs"
    return None


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape) or "()"


def _resolve(tree: _Tree, module: str) -> Dims | str | None:
    """The skeleton dims for a PEFT module path, an error text, or None (a tower: unchecked)."""
    if _TOWERS.search(module):
        return None
    block = _BLOCK.match(module)
    if block is None:
        return _top_level(tree, module)
    index, rel = int(block["index"]), block["rel"]
    if index >= len(tree.layers):
        return f"block {index} does not exist (the base has {len(tree.layers)})"
    modules = tree.block(index)
    where = f"block {index} of the base mlx-lm builds"
    if rel in modules:
        return _dims(modules[rel], rel) or f"{rel} in {where} is not a LoRA-able layer"
    expert = _EXPERT.match(rel)
    if expert is not None:
        proj = _MIXTRAL.get(expert["proj"], expert["proj"])
        path = f"{expert['moe']}.switch_mlp.{proj}"
        stacked = modules.get(path)
        weight = getattr(stacked, "weight", None)
        if weight is not None and weight.ndim == 3:
            count, n_out, n_in = weight.shape
            if int(expert["expert"]) >= count:
                return f"expert {expert['expert']} does not exist ({path} has {count})"
            return Dims(f"{path}[{expert['expert']}]", n_in, n_out, (n_out, n_in), False)
    if rel.endswith("kv_b_proj"):
        parent = rel[: -len("kv_b_proj")]
        embed_q, unembed = modules.get(parent + "embed_q"), modules.get(parent + "unembed_out")
        if embed_q is not None and unembed is not None:
            heads, kv_rank, nope = embed_q.weight.shape
            n_out = heads * (nope + unembed.weight.shape[1])
            return Dims(f"{parent}embed_q/unembed_out", kv_rank, n_out, (n_out, kv_rank), False)
    return f"no module {rel} in {where}"


def _top_level(tree: _Tree, module: str) -> Dims | str:
    leaf = module.rsplit(".", 1)[-1]
    found = tree.top(leaf)
    if found:
        return _dims(found[1], found[0]) or f"{found[0]} is not a LoRA-able layer"
    if leaf == "lm_head":  # tied: the output layer is the embedding matrix transposed
        embed = tree.top("embed_tokens")
        if embed is not None:
            vocab, dim = embed[1].weight.shape
            return Dims("embed_tokens (tied lm_head)", dim, vocab, (vocab, dim))
    return f"no module {module} in the base mlx-lm builds"


def _dims(module: Any, path: str) -> Dims | None:
    """Dims of a Linear (weight out x in) or Embedding (vocab x dim: PEFT A is r x vocab)."""
    import mlx.nn as nn

    weight = getattr(module, "weight", None)
    if weight is None or weight.ndim != 2:
        return None
    if isinstance(module, getattr(nn, "Embedding")):  # noqa: B009 (mlx ships no types)
        vocab, dim = weight.shape
        return Dims(path, vocab, dim, (vocab, dim))
    if isinstance(module, getattr(nn, "Linear")):  # noqa: B009
        n_out, n_in = weight.shape
        return Dims(path, n_in, n_out, (n_out, n_in))
    return None
