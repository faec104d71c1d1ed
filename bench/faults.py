"""Issue 15's fault battery, all probes in one go (`tests/faults/probes.py`): each runs the real
`toolforge` command against a fault a careless or hostile user makes, and is `handled` when the
message is clear, the exit code right, nothing stored lost and no planted secret leaked.

    .venv/bin/python bench/faults.py              # every probe (a few minutes on 2 cores)
    .venv/bin/python bench/faults.py --only secret_echo auth_error_is_fatal   # probe_<name> in probes.py

Prints one row per probe, then `probes=N handled=N lost_rows=N leaked_secrets=N` as its last line.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "faults"))
sys.path.insert(0, str(REPO))
# toolforge_testing (the loopback server and other fixtures benches share with tests) lives in tests/support.
sys.path.insert(0, str(REPO / "tests" / "support"))

import probes  # noqa: E402

from toolforge_testing.llm_server import TestServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="*", help="probes to run alone: probe_<NAME> in tests/faults/probes.py"
    )
    args = parser.parse_args()
    results: list[probes.ProbeResult] = []
    print(f"{'probe':<24} {'handled':>7} {'lost':>5} {'leaked':>6} {'seconds':>8}  failed checks")
    with TestServer() as server, tempfile.TemporaryDirectory(prefix="toolforge-faults-") as tmp:
        for index, probe in enumerate(probes.ALL_PROBES):
            name = probe.__name__.removeprefix("probe_")
            if args.only and name not in args.only:
                continue
            folder = Path(tmp) / f"{index:02d}-{name}"
            folder.mkdir()
            t0 = time.perf_counter()
            try:
                result = probe(folder, server) if probe in probes.NEEDS_SERVER else probe(folder)
            except Exception as exc:  # a probe that crashes counts as not handled, with its reason
                result = probes.ProbeResult(name, handled=False, detail=f"{type(exc).__name__}: {exc}")
            results.append(result)
            failed = ", ".join(k for k, ok in result.checks.items() if not ok)
            if not result.handled and not failed:
                failed = result.detail[:80]
            print(
                f"{result.name:<24} {str(result.handled):>7} {result.lost_rows:>5} "
                f"{result.leaked_secrets:>6} {time.perf_counter() - t0:>8.1f}  {failed}",
                flush=True,
            )
    print(
        f"probes={len(results)} handled={sum(r.handled for r in results)} "
        f"lost_rows={sum(r.lost_rows for r in results)} leaked_secrets={sum(r.leaked_secrets for r in results)}"
    )


if __name__ == "__main__":
    main()
