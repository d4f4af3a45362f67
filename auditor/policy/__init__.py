"""Policy stage: declarative rule packs evaluated with CEL over the facts document."""

from auditor.policy.cel import evaluate, fingerprint
from auditor.policy.loader import PolicySet, Rule, builtin_dir, load_policies

__all__ = ["PolicySet", "Rule", "builtin_dir", "evaluate", "fingerprint", "load_policies"]
