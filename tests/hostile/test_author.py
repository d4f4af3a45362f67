"""``--author ORG`` with a mirror lists the org from the mirror's folders: no network needed,
and no listing attempt that could wait on a Hub that cannot be reached."""

from __future__ import annotations

from .harness import EXAMPLE_HUB, run_cli


def test_author_lists_an_org_from_a_mirror() -> None:
    result = run_cli(
        ["--verify", "none", "--format", "json", "--fail-on", "never", "--author", "Ailiance-fr"],
        mirrors=(EXAMPLE_HUB,),
        timeout=120,
    )
    result.assert_clean()
    specs = [t["target"]["spec"] for t in result.json()["targets"]]
    expected = sorted(f"Ailiance-fr/{d.name}" for d in (EXAMPLE_HUB / "Ailiance-fr").iterdir())
    assert specs == expected and len(specs) >= 2


def test_author_filter_applies_to_the_mirror_listing() -> None:
    result = run_cli(
        [
            "--verify",
            "none",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--author",
            "Ailiance-fr",
            "--filter",
            "*orca*",
        ],
        mirrors=(EXAMPLE_HUB,),
        timeout=120,
    )
    result.assert_clean()
    assert [t["target"]["spec"] for t in result.json()["targets"]] == [
        "Ailiance-fr/apertus-math-orca-lora"
    ]
