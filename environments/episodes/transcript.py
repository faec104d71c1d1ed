"""A readable transcript of a trajectory: who said what, tool calls with arguments, results."""

from __future__ import annotations

import json

from toolforge.core.types import Trajectory


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_transcript(traj: Trajectory, width: int = 600) -> str:
    u = traj.usage
    lines = [
        f"trajectory {traj.id}  task {traj.task_id}  attempt {traj.attempt}  run {traj.run_key}",
        f"end: {traj.end_reason}"
        + (f" ({traj.error})" if traj.error else "")
        + f"  wall {traj.wall_time_s:.2f}s  tokens {u.prompt_tokens}+{u.completion_tokens}"
        + f"  cost ${u.cost_usd:.4f}  models {json.dumps(traj.models) if traj.models else '-'}",
        "tools: " + ", ".join(t["function"]["name"] for t in traj.tools),
        "",
    ]
    for m in traj.messages:
        if m.role == "system":
            lines.append(f"[system] {_clip(m.content or '', width)}")
        elif m.role == "user":
            lines.append(f"[user] {m.content or ''}")
        elif m.role == "assistant":
            if m.content:
                lines.append(f"[assistant] {m.content}")
            for call in m.tool_calls or []:
                lines.append(
                    f"  → call {call.function.name}({_clip(call.function.arguments, width)})  [{call.id}]"
                )
        else:
            tag = "error" if m.is_error else "result"
            lines.append(f"  ← {tag} {m.name or ''}: {_clip(m.content or '', width)}")
    return "\n".join(lines)
