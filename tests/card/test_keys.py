"""Keys.found is exactly the alternation's findall set, whatever hides what (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.card.keys import Keys, _witnesses
from auditor.card.params import _KEYS
from auditor.card.prose import _STATEMENT_KEYS


def _pieces(keys: Keys) -> st.SearchStrategy[str]:
    """Texts made of keys, their beginnings and ends (the overlaps), and filler."""
    bits = [*keys.keys, *(k[:2] for k in keys.keys), *(k[-2:] for k in keys.keys), " ", "x", "\n"]
    return st.lists(st.sampled_from(bits), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_pieces(_STATEMENT_KEYS))
def test_statement_keys_as_findall(text: str) -> None:
    assert _STATEMENT_KEYS.found(text) == set(_STATEMENT_KEYS.regex.findall(text))


@settings(max_examples=400, deadline=None)
@given(_pieces(_KEYS))
def test_parameter_keys_as_findall(text: str) -> None:
    assert _KEYS.found(text) == set(_KEYS.regex.findall(text))


def test_hidden_keys() -> None:
    keys = Keys(["lit", "iter", "terms", "gemma terms", "sa", "a"])
    for text in ("liter", "gemma terms", "literature, terms", "sa", "saa", "xa"):
        assert keys.found(text) == set(keys.regex.findall(text)), text
    assert keys.found("liter") == {"lit"}  # "iter" hidden behind "lit"
    assert keys.found("gemma terms") == {"gemma terms"}
    assert keys.found("iter, terms") == {"iter", "terms"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text("abc ", min_size=1, max_size=6), min_size=1, max_size=8, unique=True))
def test_witnesses_by_definition(keys: list[str]) -> None:
    """Every key containing another, and every overlap of one key's end with another's start
    (tried at every length: the definition the faster search must match)."""
    for key in keys:
        expected = set()
        for other in keys:
            if other != key:
                if key in other:
                    expected.add(other)
                for n in range(1, min(len(other), len(key))):
                    if other.endswith(key[:n]):
                        expected.add(other + key[n:])
        assert _witnesses(key, tuple(keys)) == tuple(sorted(expected)), (key, keys)
