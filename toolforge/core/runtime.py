"""Process-wide settings a long-running toolforge process applies once, at its entry point.

`tune_gc` is called by the CLI (`toolforge/cli.py`) and by each rollout worker process
(`environments/episodes/parallel.py`); a library import changes nothing. Why these settings, with the
measurements behind them: docs/llm.md, "The garbage collector".
"""

from __future__ import annotations

import gc

# Young collections every 10,000 allocations instead of CPython's 700: at thousands of calls in
# flight the default ran them so often that their pauses bunched replies together.
GC_GEN0_THRESHOLD = 10_000


def tune_gc() -> None:
    """Collect young garbage less often, and move every object alive now (imported modules,
    litellm's cost map and types) out of the collector's full passes: they live for the process."""
    gen0, gen1, gen2 = gc.get_threshold()
    if 0 < gen0 < GC_GEN0_THRESHOLD:  # 0: collection disabled by the caller; never re-enable it
        gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
    gc.freeze()
