"""Close the loop on one CPU machine: generate offline, hold domains out, fine-tune SmolLM2 on the
rest, and evaluate the base and the tuned model on the held-out domains.

    python bench/closed_loop.py                      # the full loop (training bounded to 30 minutes)
    python bench/closed_loop.py --quick              # a few minutes: a smoke run of every step

Steps, each a `toolforge` command in a subprocess (what a user would type):
1. `toolforge generate` on the offline demo pipeline (the six example MCP servers, blueprint
   policy, bundled judge), with `--agents` agents and `--tasks` tasks per difficulty.
2. `toolforge export --holdout-domains D`: the training rows leave D out; D's blueprint tasks become
   a BFCL-format eval set (`heldout/`), built from tools the training set never saw.
3. The base model as a checkpoint: SmolLM2-135M-Instruct from its bundled GGUF, saved with
   `save_pretrained` and the fallback tool template, so base and tuned run the same way
   (in-process transformers, unconstrained, calls parsed from `<tool_call>` tags).
4. `toolforge train sft --model local/smollm2` on the training rows (`--max-train-s` bounds it).
5. `toolforge eval heldout/` on the base and on the tuned checkpoint.

The last line: `base_acc=… tuned_acc=… lift=… heldout_cases=… train_rows=… train_s=… checkpoint=PATH`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "examples" / "pipelines" / "offline.yaml"


def toolforge(*args: str) -> None:
    """Run one CLI command with this interpreter and this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    print("$ toolforge " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "toolforge.cli", *args], check=True, env=env, cwd=REPO)


def servers_file(work: Path, sandbox: str) -> Path:
    """The demo's servers file with every world in `sandbox` and each `cwd` made absolute. The
    loop measures learning, not isolation: these are our own example servers, and a docker world
    per blueprint replay and per episode costs most of the generation time on 2 cores."""
    source = (DEMO.parent / yaml.safe_load(DEMO.read_text())["tools"]["servers"]).resolve()
    servers = json.loads(source.read_text())
    for server in servers["mcpServers"].values():
        if "cwd" in server:
            server["cwd"] = str((source.parent / server["cwd"]).resolve())
        if "world" in server:
            server["world"]["sandbox"] = sandbox
    path = work / "servers.json"
    path.write_text(json.dumps(servers, indent=2))
    return path


def pipeline_config(work: Path, agents: int, tasks: int, rubric: bool, sandbox: str) -> Path:
    """The demo pipeline with more agents and tasks, its relative paths made absolute. Without
    `rubric`, the bundled judge is off: the demo's rules, grounding and state checks decide
    acceptance either way (the 135M rubric only adds to the score), and it is most of the time."""
    config = yaml.safe_load(DEMO.read_text())
    if not rubric:
        config["judges"]["rubric"] = {"enabled": False}
        config["models"].pop("judge", None)
    config["workspace"] = str(work / "workspace")
    config["tools"]["servers"] = str(servers_file(work, sandbox))
    config["agents"]["count"] = agents
    config["tasks"]["per_difficulty"] = tasks
    path = work / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def domains(db: Path) -> list[str]:
    from toolforge.core.store import Store
    from toolforge.core.types import Agent

    store = Store(str(db))
    try:
        return sorted({agent.domain for agent in store.list(Agent) if agent.domain})
    finally:
        store.close()


def save_base(out: Path) -> None:
    """SmolLM2 from its GGUF, dense, with the tool template it is tuned with."""
    import torch

    from trainer.hf_model import load_causal_lm, resolve_model
    from trainer.tool_template import use_tool_template

    torch.set_num_threads(1)
    model, tokenizer = load_causal_lm(resolve_model("local/smollm2"))
    use_tool_template(tokenizer, "model", "local/smollm2")
    model.config.use_cache = True
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))


def evaluate(heldout: Path, model: Path, report: Path, max_tokens: int) -> dict:
    toolforge(
        "eval", str(heldout), "--model", str(model), "--out", str(report), "--max-tokens", str(max_tokens)
    )
    return json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, default=Path("toolforge-data/closed-loop"))
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--tasks", type=int, default=3, help="tasks per difficulty per agent")
    parser.add_argument("--holdout", default=None, help="held-out domains (default: the last one)")
    parser.add_argument("--max-train-s", type=float, default=1800.0)
    parser.add_argument(
        "--max-steps",
        type=int,
        default=240,
        help="the cosine schedule's length: about what fits in --max-train-s on 2 cores with bf16",
    )
    parser.add_argument("--warmup-steps", type=int, default=10)
    parser.add_argument(
        "--precision",
        choices=["bf16", "fp32"],
        default="bf16",
        help="bf16 autocast trains about 1.3x faster on a CPU with AVX512-BF16; use fp32 on one without",
    )
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument(
        "--max-length", type=int, default=2048, help="tokens per row; longer rows are dropped"
    )
    parser.add_argument("--max-tokens", type=int, default=160, help="eval answer length")
    parser.add_argument(
        "--world-sandbox",
        default="process",
        choices=["process", "bwrap", "docker", "auto"],
        help="where the example servers' per-episode worlds run (the demo's default is auto: docker)",
    )
    parser.add_argument("--rubric-judge", action="store_true", help="also run the bundled rubric judge")
    parser.add_argument("--quick", action="store_true", help="a smoke run: tiny data, a few steps")
    args = parser.parse_args()
    if args.quick:
        args.agents, args.tasks, args.max_train_s, args.max_steps = 9, 1, 120.0, 4
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    toolforge(
        "generate",
        "--config",
        str(pipeline_config(work, args.agents, args.tasks, args.rubric_judge, args.world_sandbox)),
        "--no-progress",
    )
    db = work / "workspace" / "toolforge.db"
    held = args.holdout or domains(db)[-1]
    export = work / "export"
    toolforge(
        "export", "--run", "offline-demo", "--out", str(export), "--holdout-domains", held, "--db", str(db)
    )
    train_rows = sum(1 for line in (export / "openai.jsonl").open() if line.strip())

    base = work / "base"
    if not (base / "model.safetensors").is_file():
        save_base(base)
    tuned = work / "tuned"
    started = time.monotonic()
    toolforge(
        "train", "sft", "--data", str(export / "openai.jsonl"), "--model", "local/smollm2", "--out", str(tuned),
        "--max-steps", str(args.max_steps), "--max-train-s", str(args.max_train_s), "--lr", str(args.lr),
        "--max-length", str(args.max_length), "--save-steps", "200", "--logging-steps", "10",
        "--warmup-steps", str(args.warmup_steps), f"--{args.precision}",
    )  # fmt: skip
    train_s = time.monotonic() - started

    reports = work / "reports"
    before = evaluate(export / "heldout", base, reports / "base.json", args.max_tokens)
    after = evaluate(export / "heldout", tuned, reports / "tuned.json", args.max_tokens)
    for category in sorted(set(before["categories"]) | set(after["categories"])):
        b = before["categories"].get(category, {}).get("accuracy", 0.0)
        t = after["categories"].get(category, {}).get("accuracy", 0.0)
        cases = after["categories"].get(category, before["categories"].get(category, {})).get("cases", 0)
        print(f"category={category} cases={cases} base_acc={b:.3f} tuned_acc={t:.3f} lift={t - b:+.3f}")
    base_acc, tuned_acc = before["overall"]["accuracy"], after["overall"]["accuracy"]
    print(
        f"base_acc={base_acc:.3f} tuned_acc={tuned_acc:.3f} lift={tuned_acc - base_acc:+.3f} "
        f"heldout_cases={after['overall']['cases']} train_rows={train_rows} train_s={train_s:.0f} "
        f"checkpoint={tuned}"
    )


if __name__ == "__main__":
    main()
