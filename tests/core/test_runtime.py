"""Process settings: applied by an entry point's call to `tune_gc`, never by importing a module."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from toolforge.core.runtime import GC_GEN0_THRESHOLD, tune_gc


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)


def test_tune_gc_raises_the_young_threshold_and_freezes_what_lives(restore_gc: None) -> None:
    gc.set_threshold(700, 10, 10)
    alive = object()
    tune_gc()
    assert gc.get_threshold() == (GC_GEN0_THRESHOLD, 10, 10)
    assert gc.get_freeze_count() > 0 and alive is not None


def test_tune_gc_leaves_a_disabled_collector_disabled(restore_gc: None) -> None:
    gc.set_threshold(0)
    tune_gc()
    assert gc.get_threshold()[0] == 0


def test_importing_the_llm_layer_and_the_runner_changes_no_gc_setting() -> None:
    code = (
        "import gc; before = gc.get_threshold(); "
        "import toolforge.core.llm.client, toolforge.core.llm.direct, environments.episodes.runner; "
        "assert gc.get_threshold() == before, gc.get_threshold(); "
        "assert gc.get_freeze_count() == 0, gc.get_freeze_count()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
