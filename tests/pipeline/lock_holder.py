"""A process that takes a run's lock in a store and holds it, for `test_runlock.py`:

    python lock_holder.py STORE_URL RUN TTL_S HOLD_S

prints `locked` once it holds the lock; exits 0 after HOLD_S, 3 as soon as its lock was taken over
(printing `lost`), 2 when refused (the refusal on stderr)."""

from __future__ import annotations

import sys
import time

from toolforge.pipeline.runlock import RunLock, RunLocked


def main() -> None:
    url, run, ttl_s, hold_s = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    try:
        with RunLock(url, run, ttl_s=ttl_s) as lock:
            print("locked", flush=True)
            deadline = time.monotonic() + hold_s
            while time.monotonic() < deadline and not lock.lost:
                time.sleep(0.05)
            print("lost" if lock.lost else "released", flush=True)
    except RunLocked as exc:
        print(exc, file=sys.stderr, flush=True)
        sys.exit(2)
    sys.exit(3 if lock.lost else 0)


if __name__ == "__main__":
    main()
