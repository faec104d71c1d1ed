"""PID 1 of every Docker sandbox: runs the commands it reads on stdin, one at a time, and reaps orphans.

This file is shipped into the container as the text of `python3 -c` (stdlib only, Python >= 3.9);
the engine never imports it. The engine talks to it over the container's attached stdin/stdout,
through the engine API, so the sandbox keeps `network_mode=none` and each command costs one fork
inside the container instead of a `docker exec` round trip.

Protocol: one JSON object per line each way.
  request  {"id": n, "op": "ping"}
  request  {"id": n, "op": "run", "argv": [...], "timeout": s, "env": {...}, "cwd": "...",
            "stdin": base64 | null, "cap": bytes}
  response {"id": n, "ok": true, ...} with exit_code, stdout/stderr (base64), dropped, duration, timed_out

Containment, inside the container:
- every command runs as `timeout -s KILL <t>` under a shell that afterwards sends `kill -9 -1`
  (three sweeps) as the sandbox uid: every process the command left behind, `setsid` children
  included, dies; PID 1 is exempt from kill(-1), so this server survives;
- commands start with oom_score_adj 1000, so the OOM killer picks them, never PID 1;
- the server is not dumpable, so sandboxed code cannot open /proc/1/fd/* to forge replies;
- a server-side deadline (timeout + 3 s) sweeps again if the pipes are somehow still open.
"""

import base64
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time

WRAP = (
    "echo 1000 >/proc/self/oom_score_adj 2>/dev/null; "
    'timeout -s KILL "$0" "$@"; rc=$?; '
    "kill -9 -1 2>/dev/null; kill -9 -1 2>/dev/null; kill -9 -1 2>/dev/null; exit $rc"
)


def reap_orphans(keep_pid):
    """Reap every exited child except `keep_pid` (left for Popen.wait)."""
    while True:
        try:
            info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return
        if info is None or info.si_pid == keep_pid:
            return
        try:
            os.waitpid(info.si_pid, 0)
        except ChildProcessError:
            return


def settle(limit=1.0):
    """Reap until no process but PID 1 is left (SIGKILLed processes take a moment to exit)."""
    deadline = time.monotonic() + limit
    while True:
        reap_orphans(None)
        if not any(p.isdigit() and p != "1" for p in os.listdir("/proc")) or time.monotonic() > deadline:
            return
        time.sleep(0.002)


def run(req):
    timeout = float(req["timeout"])
    cap = int(req["cap"])
    stdin = base64.b64decode(req["stdin"]) if req.get("stdin") else b""
    argv = ["/bin/sh", "-c", WRAP, f"{timeout:g}", *req["argv"]]
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=req["cwd"],
            env=dict(os.environ, **req["env"]),
        )
    except OSError as exc:
        return {
            "exit_code": 126,
            "stdout": "",
            "stderr": _b64(str(exc).encode()),
            "dropped": 0,
            "duration": 0.0,
            "timed_out": False,
        }
    assert proc.stdout is not None and proc.stderr is not None  # both are pipes
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    bufs = {out_fd: bytearray(), err_fd: bytearray()}
    readers = set(bufs)
    writer = proc.stdin.fileno() if proc.stdin else None
    pending = memoryview(stdin)
    dropped = 0
    swept = False
    while readers or writer is not None:
        r, w, _ = select.select(list(readers), [writer] if writer is not None else [], [], 0.5)
        for fd in r:
            chunk = os.read(fd, 65536)
            if not chunk:
                readers.discard(fd)
                continue
            buf = bufs[fd]
            room = max(cap - len(buf), 0)
            buf += chunk[:room]
            dropped += len(chunk) - min(room, len(chunk))
        if w and writer is not None and proc.stdin is not None:
            try:
                n = os.write(writer, pending[:65536])
                pending = pending[n:]
            except BrokenPipeError:
                pending = pending[:0]
            if not pending:
                proc.stdin.close()
                writer = None
        reap_orphans(proc.pid)
        if not swept and time.monotonic() - t0 > timeout + 3:
            os.kill(-1, signal.SIGKILL)  # the caller (PID 1) is exempt
            swept = True
    code = proc.wait()
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()  # now, not whenever `proc` is collected: this server runs every command
    duration = time.monotonic() - t0
    settle()
    return {
        "exit_code": code,
        "stdout": _b64(bytes(bufs[out_fd])),
        "stderr": _b64(bytes(bufs[err_fd])),
        "dropped": dropped,
        "duration": duration,
        "timed_out": code == 137 and duration >= timeout * 0.98,
    }


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def main():
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # PID 1 ignores signals without a handler
    try:
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    except OSError:
        pass
    out = sys.stdout.buffer
    pending = b""
    while True:
        r, _, _ = select.select([0], [], [], 1.0)
        if not r:
            reap_orphans(None)
            continue
        chunk = os.read(0, 1 << 20)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            req = json.loads(line)
            if req["op"] == "ping":
                reply = {"pid": os.getpid(), "uid": os.getuid()}
            else:
                reply = run(req)
            reply["id"] = req["id"]
            reply["ok"] = True
            out.write(json.dumps(reply).encode() + b"\n")
            out.flush()


if __name__ == "__main__":
    main()
