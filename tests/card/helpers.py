"""Small helpers over CardClaims for the card tests."""

from __future__ import annotations

from auditor.models import CardClaims, Claim


def claims(card: CardClaims, name: str) -> list[Claim]:
    """Hyperparameter claims of one name, in card order."""
    return [c for c in card.hyperparameters if c.name == name]


def values(card: CardClaims, name: str) -> list[object]:
    """Values of the hyperparameter claims of one name."""
    return [c.value for c in claims(card, name)]


def kinds(card: CardClaims) -> set[str]:
    """Statement kinds found."""
    return {s.kind for s in card.statements}


def problem_kinds(card: CardClaims) -> list[str]:
    """Problem kinds found, in order."""
    return [p.kind for p in card.problems]
