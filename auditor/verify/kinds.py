"""The verify stage's vocabulary: problem kinds, the problem record, and the hints for weights
it never opens.

One source of truth: the adapter-integrity rules select problems by these kinds
(``adapter.files-invalid`` the ``FILE_PROBLEMS``, ``adapter.not-verified`` the rest).
"""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """One evidence problem as plain data: ``kind`` (a key of ``PROBLEM_KINDS``), where it is.

    The check modules record problems as these rather than as the data model's
    ``EvidenceProblem``, so that the load-check worker, which runs them, never imports the
    data model (it cost about 0.13 s of CPU on the ``--verify load`` critical path when it was
    pydantic: docs/speed.md). ``collect_evidence`` turns them into ``EvidenceProblem`` once, at
    the end.
    """

    kind: str
    message: str
    file: str | None = None
    line: int | None = None


UNSAFE_HINTS = {
    "adapter_model.bin": "adapter_model.bin is a pickle and is never opened (unpickling can run "
    "code); convert it to safetensors where you trust it: PeftModel.from_pretrained(base, "
    "folder).save_pretrained(folder, safe_serialization=True), or safetensors.torch.save_file"
    "(torch.load('adapter_model.bin', weights_only=True), 'adapter_model.safetensors')",
    "adapters.npz": "adapters.npz (old mlx-lm format) is not opened; re-save it as "
    "adapters.safetensors: mx.save_safetensors('adapters.safetensors', dict(mx.load("
    "'adapters.npz')))",
}

PROBLEM_KINDS = {
    "config-missing": "weights are present but there is no adapter_config.json",
    "config-invalid": "the config is not JSON, not an object, or a value has the wrong type",
    "config-incomplete": "a value mlx-lm needs (lora_parameters.scale) is absent",
    "weights-missing": "a config is present but no adapters.safetensors/adapter_model.safetensors",
    "weights-unsupported": "only a pickle/npz weight file is present; it is never opened",
    "weights-unreadable": "the weight file could not be fetched or read",
    "header-invalid": "the safetensors header is truncated, not UTF-8/JSON, or malformed",
    "header-too-large": "the header length or entry count exceeds the cap",
    "dtype-invalid": "a tensor has a dtype safetensors does not define",
    "offsets-invalid": "data_offsets overlap, leave gaps, or disagree with shapes or file size",
    "tensors-unrecognised": "tensor names that are neither mlx-lm nor PEFT adapter parameters",
    "rank-inconsistent": "a module's A and B factors have different inner dimensions",
    "base-unresolvable": "the config names no base, a local path, or a base that was not found",
    "remote-code-refused": "the base config asks for custom code (auto_map, model_file, ...)",
    "unsupported-model-type": "mlx-lm has no architecture for the base's model_type",
    "base-config-invalid": "mlx-lm cannot build the base architecture from its config.json",
    "unsupported-adapter-type": "a PEFT type other than LoRA/DoRA: not loadable with mlx-lm",
    "load-failed": "reading the adapter tensors failed before the architecture check",
    "values-partial": "part of the value checks did not run (budget, size or pattern time)",
    "not-verified": "--verify load was asked but the load check did not run (message: why)",
}

FILE_PROBLEMS = frozenset(
    {
        "config-invalid",
        "config-incomplete",
        "weights-unsupported",
        "weights-unreadable",
        "header-invalid",
        "header-too-large",
        "dtype-invalid",
        "offsets-invalid",
        "tensors-unrecognised",
        "rank-inconsistent",
        "remote-code-refused",
        "base-config-invalid",
        "load-failed",
    }
)
"""Problems adapter.files-invalid reports as errors; a load they stopped needs no second word."""
