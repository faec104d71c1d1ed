"""`python -m toolforge_testing.llm_server --port P --latency-ms 100 [--fault-429 0.2 ...]`.

Prints `listening on http://127.0.0.1:P/v1` (flushed) once it accepts connections."""

from __future__ import annotations

import argparse
import sys

from toolforge_testing.llm_server.replies import Faults
from toolforge_testing.llm_server.server import TestServer, run_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m toolforge_testing.llm_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-429", type=float, default=0.0)
    parser.add_argument("--fault-500", type=float, default=0.0)
    parser.add_argument("--fault-malformed", type=float, default=0.0)
    parser.add_argument("--fault-truncated", type=float, default=0.0)
    parser.add_argument("--fault-timeout", type=float, default=0.0)
    parser.add_argument("--retry-after", default="0", help="Retry-After header value on 429s (empty: none)")
    parser.add_argument(
        "--retry-after-ms", type=int, default=20, help="retry-after-ms header on 429s (-1: none)"
    )
    parser.add_argument("--hang-s", type=float, default=5.0, help="how long a 'timeout' fault waits")
    args = parser.parse_args(argv)
    faults = Faults(
        rate_429=args.fault_429,
        rate_500=args.fault_500,
        rate_malformed=args.fault_malformed,
        rate_truncated=args.fault_truncated,
        rate_timeout=args.fault_timeout,
        retry_after=args.retry_after or None,
        retry_after_ms=args.retry_after_ms if args.retry_after_ms >= 0 else None,
        hang_s=args.hang_s,
        seed=args.seed,
    )
    server = TestServer(args.host, args.port, args.latency_ms, faults, seed=args.seed, record=False)

    def ready(s: TestServer) -> None:
        print(f"listening on {s.url}", flush=True)

    run_forever(server, ready)


if __name__ == "__main__":
    main(sys.argv[1:])
