"""A census batch raises the collector's gen-0 threshold while it runs and puts the process's
setting back after the last overlapping batch; a process with automatic collection off stays
off, and the audit's rows do not depend on it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from auditor.census import collector


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def test_raised_during_a_batch_and_restored(thresholds: tuple[int, int, int]) -> None:
    with collector.fewer_collections():
        assert gc.get_threshold() == (collector.BATCH_THRESHOLD, 10, 10)
    assert gc.get_threshold() == thresholds


def test_overlapping_batches_restore_after_the_last(thresholds: tuple[int, int, int]) -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with collector.fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    worker = threading.Thread(target=first)
    worker.start()
    first_in.wait(5)
    with collector.fewer_collections():
        second_in.set()
        first_out.wait(5)
        seen.append(gc.get_threshold())  # the first batch ended: still raised for this one
    worker.join(5)
    assert seen == [(collector.BATCH_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == thresholds


def test_higher_or_disabled_thresholds_are_kept(thresholds: tuple[int, int, int]) -> None:
    for setting in ((50_000, 10, 10), (0, 10, 10)):
        gc.set_threshold(*setting)
        with collector.fewer_collections():
            assert gc.get_threshold() == setting
        assert gc.get_threshold() == setting


def test_restored_when_the_batch_raises(thresholds: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), collector.fewer_collections():
        raise RuntimeError("a batch that fails")
    assert gc.get_threshold() == thresholds
