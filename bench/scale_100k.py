"""K2's count on one machine (issue 19): the offline pipeline end to end to 100,000 trajectories.
The last line is `trajectories=… total_s=… per_stage_s=… peak_rss_mb=…`.

Each size is one real `toolforge generate` in a subprocess on a generated config: the example
shop toolkit (a Python toolkit, in process), enough agents (5 to 8 tools each) × 3 difficulties × 10 tasks, the
blueprint policy, the template user and the schema simulator, 2 attempts per task (both always
played: `stop_after_accepted: 2`, so the count does not depend on acceptance), the rules and
state judges (no model anywhere), export to every format. A fresh SQLite store per size.

- total_s: the subprocess's wall time (interpreter start included).
- per_stage_s: each stage's seconds as the run stored them (its run row's `stages`); the table
  also prints each stage's CPU seconds (`cpu_seconds`: the run's process, all its threads), which
  a loaded machine inflates far less than wall seconds.
- peak_rss_mb: the subprocess's peak resident set (`os.wait4`'s ru_maxrss), so it is the run's
  own, not this script's.
- cpu_s: the subprocess's user + system CPU time. On a loaded machine wall time is several times
  the CPU time; on a quiet machine with one core for the run, wall ≈ CPU, so cpu_s estimates the
  quiet-box time.

The small size runs first; the table prints both and the ratio of each stage's seconds per item
(big / small: 1.0 is linear), wall and CPU, and of peak RSS (1.0 is bounded).

    .venv/bin/python bench/scale_100k.py [--sizes 10000 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from toolforge.core.store import Store  # noqa: E402

SHOP = f"{REPO / 'examples' / 'domains' / 'shop' / 'toolkit.py'}:ShopToolkit"
DIFFICULTIES = ["single_call", "multi_call", "recovery"]
PER_DIFFICULTY = 10
ATTEMPTS = 2
PER_AGENT = len(DIFFICULTIES) * PER_DIFFICULTY * ATTEMPTS
# About 2% of tasks cannot be written: a few agents' tool subsets make no chain for some
# difficulty. 5% more agents are drawn so that a size is reached, not approached.
AGENT_MARGIN = 1.05
STAGES = ("tools", "agents", "tasks", "rollouts", "judges", "export")


def config(workspace: Path, trajectories: int) -> dict[str, object]:
    return {
        "name": "scale-100k",
        "workspace": str(workspace),
        "tools": {"toolkits": [SHOP]},
        "agents": {
            "count": math.ceil(trajectories * AGENT_MARGIN / PER_AGENT),
            "min_tools": 5,
            "max_tools": 8,
        },
        "tasks": {"difficulties": DIFFICULTIES, "per_difficulty": PER_DIFFICULTY},
        "rollouts": {"policy": "blueprint", "user": "template", "simulator": "schema"},
        "sampling": {"attempts": ATTEMPTS, "stop_after_accepted": ATTEMPTS},
        "judges": {
            "required": ["rules", "state"],
            "grounding": {"enabled": False},
            "rubric": {"enabled": False},
        },
        "export": {"formats": ["openai", "sharegpt", "parquet", "k2"]},
    }


@dataclass
class Run:
    wanted: int
    trajectories: int
    exported: int
    total_s: float
    cpu_s: float
    peak_rss_mb: float
    stages: dict[str, dict[str, float]]


def run_one(work: Path, trajectories: int) -> Run:
    workspace = work / f"n{trajectories}"
    path = work / f"n{trajectories}.yaml"
    path.write_text(yaml.safe_dump(config(workspace, trajectories)), encoding="utf-8")
    cmd = [sys.executable, "-m", "toolforge.cli", "generate", "--config", str(path), "--no-progress"]
    log = (work / f"n{trajectories}.log").open("w")
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    total_s = time.perf_counter() - started
    log.close()
    if os.waitstatus_to_exitcode(status) != 0:
        tail = (work / f"n{trajectories}.log").read_text(encoding="utf-8")[-3000:]
        raise SystemExit(f"toolforge generate failed for {trajectories}:\n{tail}")
    store = Store(f"sqlite:///{workspace / 'toolforge.db'}")
    run = store.get_run("pipeline:scale-100k")
    store.close()
    assert run is not None and run.stats is not None
    stages = {name: run.stats["stages"][name] for name in STAGES}
    return Run(
        wanted=trajectories,
        trajectories=int(stages["rollouts"]["total"]),
        exported=int(stages["export"]["total"]),
        total_s=total_s,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
        stages=stages,
    )


def cpu_of(run: Run, stage: str) -> float:
    return run.stages[stage].get("cpu_seconds", 0.0)  # absent from runs stored before it was kept


def per_item_ratio(small: Run, big: Run, stage: str, key: str) -> str:
    """The stage's `key` seconds per item in the big run over the small one's (1.0 is linear)."""
    s_items, b_items = small.stages[stage]["total"], big.stages[stage]["total"]
    s_spent, b_spent = small.stages[stage].get(key, 0.0), big.stages[stage].get(key, 0.0)
    if big is small or not (s_spent > 0 and s_items and b_items):
        return "-"
    return f"{b_spent / b_items / (s_spent / s_items):.2f}"


def per_stage(run: Run) -> str:
    return ",".join(f"{name}:{run.stages[name]['seconds']:.1f}" for name in STAGES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", type=Path, help="write the runs here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="tf-scale-100k-"))
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    runs = []
    for size in sorted(args.sizes):
        runs.append(run_one(work, size))
        r = runs[-1]
        print(
            f"n={r.trajectories} total_s={r.total_s:.1f} cpu_s={r.cpu_s:.1f} peak_rss_mb={r.peak_rss_mb:.0f} "
            f"per_stage_s={per_stage(r)}",
            flush=True,
        )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"{'stage':<10}"
        + "".join(f"{'items':>9}{'s':>9}{'cpu s':>9}" for _ in runs)
        + f"{'ratio/item':>12}{'cpu ratio':>11}"
    )
    small, big = runs[0], runs[-1]
    for name in STAGES:
        cells = "".join(
            f"{int(r.stages[name]['total']):>9}{r.stages[name]['seconds']:>9.1f}{cpu_of(r, name):>9.1f}"
            for r in runs
        )
        wall, cpu = (per_item_ratio(small, big, name, key) for key in ("seconds", "cpu_seconds"))
        print(f"{name:<10}{cells}{wall:>12}{cpu:>11}")
    for label, attr in (("wall s", "total_s"), ("cpu s", "cpu_s"), ("peak rss MB", "peak_rss_mb")):
        print(f"{label:<10}" + "".join(f"{'':>9}{getattr(r, attr):>9.1f}" for r in runs))
    if big is not small:
        per_traj = (big.total_s / big.trajectories) / (small.total_s / small.trajectories)
        print(
            f"ratio {big.trajectories}/{small.trajectories}: wall per trajectory {per_traj:.2f}, "
            f"cpu per trajectory {(big.cpu_s / big.trajectories) / (small.cpu_s / small.trajectories):.2f}, "
            f"peak rss {big.peak_rss_mb / small.peak_rss_mb:.2f}"
        )
    print(
        f"load average (1 min) before {load_before:.1f}, after {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(json.dumps({"exported": [r.exported for r in runs]}))
    print(
        f"trajectories={big.trajectories} total_s={big.total_s:.1f} per_stage_s={per_stage(big)} "
        f"peak_rss_mb={big.peak_rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
