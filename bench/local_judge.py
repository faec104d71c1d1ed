"""How fast the bundled model reads a rubric judge's prompt, with llama.cpp's OpenMP threads
spinning (ACTIVE) or sleeping (PASSIVE, toolforge's default) while they wait.

    make demo   # once, for a store with trajectories to judge
    .venv/bin/python bench/local_judge.py [STORE_DB] [--rounds 2] [--threads 2]

Each round starts one fresh process per policy, alternating, and times five judge prompts
(prompt caching off, 24 tokens out). The last line is `active_s=… passive_s=… speedup=…`
(medians over all prompts). On a busy machine the spinning collapses; on an idle one the two
are close.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT_DB = Path("toolforge-data/offline-demo/toolforge.db")

WORKER = """
import sys, time
import httpx
from judges.config import RubricConfig
from judges.rubric import judge_messages, rubric_items
from toolforge.core.llm.local import local_api_base
from toolforge.core.store import Store
from toolforge.core.types import Task, Trajectory

store = Store(f"sqlite:///{sys.argv[1]}")
cfg = RubricConfig(general_criteria=["relevance"], item_kinds=["general"], max_transcript_chars=1000)
base = local_api_base()
with httpx.Client(timeout=900) as client:
    for traj in store.list(Trajectory, limit=5):
        task = store.get(Task, traj.task_id)
        messages = judge_messages(traj, task, rubric_items(task, cfg), cfg)
        started = time.perf_counter()
        client.post(f"{base}/chat/completions", json={
            "model": "local", "messages": messages, "max_tokens": 24, "cache_prompt": False})
        print(time.perf_counter() - started)
"""


def run_round(db: Path, policy: str, threads: int) -> list[float]:
    env = {**os.environ, "OMP_WAIT_POLICY": policy, "TOOLFORGE_LOCAL_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, "-c", WORKER, str(db)], env=env, capture_output=True, text=True, check=True
    ).stdout
    return [float(line) for line in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db", nargs="?", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} not found: run `make demo` first, or pass a store that holds trajectories")
    times: dict[str, list[float]] = {"ACTIVE": [], "PASSIVE": []}
    for round_no in range(1, args.rounds + 1):
        for policy in times:
            seconds = run_round(args.db, policy, args.threads)
            times[policy] += seconds
            print(
                f"round {round_no} {policy:<7} median {statistics.median(seconds):6.2f} s over {len(seconds)}"
            )
    active, passive = (statistics.median(times[p]) for p in ("ACTIVE", "PASSIVE"))
    print(f"active_s={active:.2f} passive_s={passive:.2f} speedup={active / passive:.2f}")


if __name__ == "__main__":
    main()
