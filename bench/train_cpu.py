"""CPU training throughput of k2-tiny: MuonClip (with max-logit capture, QK-Clip and the routing-bias
update) against AdamW (plain sdpa), in the same run, on the same packed batches.

Both models start from the same weights; their steps alternate (A, B, A, B, …) so load on a
shared machine hits both alike; the first steps are warm-up and not timed. A step is forward +
backward + optimizer + (MuonClip only) QK-Clip and bias update. Prints one table; the last line is
`tokens_per_s=<MuonClip tokens/s> muonclip_over_adamw=<MuonClip step time / AdamW step time>`.

    .venv/bin/python bench/train_cpu.py [--steps 12] [--max-length 2048] [--threads 1]
"""

# ruff: noqa: E402  (the imports follow the sys.path line below)
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

# toolforge_testing (the loopback server and other fixtures benches share with tests) lives in tests/support.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

import torch
from datasets import Dataset
from transformers import PreTrainedTokenizerBase
from trl.data_utils import pack_dataset
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from toolforge.core.k2_chat import render_k2
from toolforge_testing.sample_trajectories import write_sample_jsonl
from trainer.data import build_dataset, read_exported_jsonl
from trainer.muon import MuonClip, k2_param_groups
from trainer.presets import k2_tiny
from trainer.qk_clip import ATTN_IMPLEMENTATION, qk_clip_
from trainer.routing import ExpertLoadTracker
from trainer.sft import build_model
from trainer.tokenizer import train_bpe_tokenizer


def packed_batches(max_length: int, n: int) -> tuple[list[dict[str, torch.Tensor]], PreTrainedTokenizerBase]:
    with tempfile.TemporaryDirectory() as tmp:
        conversations = read_exported_jsonl(write_sample_jsonl(Path(tmp) / "data.jsonl", 600, seed=0))
    tokenizer = train_bpe_tokenizer(render_k2(c.messages, c.tools) for c in conversations)
    dataset, _ = build_dataset(tokenizer, conversations, max_length)
    labeled = Dataset.from_dict(
        {
            "input_ids": dataset["input_ids"],
            "labels": [
                [t if m else -100 for t, m in zip(ids, mask, strict=True)]
                for ids, mask in zip(dataset["input_ids"], dataset["assistant_masks"], strict=True)
            ],
        }
    )
    packed = pack_dataset(labeled, max_length, strategy="bfd")
    collate = DataCollatorForLanguageModeling(pad_token_id=tokenizer.pad_token_id, padding_free=True)
    rows = sorted(packed, key=lambda r: -len(r["input_ids"]))[:n]
    return [collate([row]) for row in rows], tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    batches, tokenizer = packed_batches(args.max_length, args.steps + args.warmup)
    muon_model = build_model(k2_tiny(), tokenizer)
    adamw_model = copy.deepcopy(muon_model)
    adamw_model.set_attn_implementation("sdpa")
    muon_model.set_attn_implementation(ATTN_IMPLEMENTATION)
    muon_opt = MuonClip(k2_param_groups(muon_model), lr=args.lr, weight_decay=0.1)
    adamw_opt = torch.optim.AdamW(adamw_model.parameters(), lr=args.lr, weight_decay=0.1, betas=(0.9, 0.95))
    tracker = ExpertLoadTracker(muon_model)

    def step(model: torch.nn.Module, opt: torch.optim.Optimizer, batch: dict[str, torch.Tensor]) -> float:
        start = time.perf_counter()
        loss = model(**batch, use_cache=False).loss
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        if model is muon_model:
            qk_clip_(model, 100.0)
            tracker.update_bias_()
        return time.perf_counter() - start

    times: dict[str, list[float]] = {"adamw": [], "muonclip": []}
    tokens = []
    muon_model.train()
    adamw_model.train()
    for i, batch in enumerate(batches):
        a = step(adamw_model, adamw_opt, batch)
        m = step(muon_model, muon_opt, batch)
        if i >= args.warmup:
            times["adamw"].append(a)
            times["muonclip"].append(m)
            tokens.append(batch["input_ids"].numel())

    params = sum(p.numel() for p in muon_model.parameters())
    print(
        f"k2-tiny ({params / 1e6:.2f}M params), {len(tokens)} timed steps, median {statistics.median(tokens)} tokens/step,"
    )
    print(f"threads={args.threads}; step = fwd + bwd + optimizer (+ QK-Clip and bias update for MuonClip)")
    print(f"{'optimizer':<10} {'median step s':>14} {'tokens/s':>10}")
    rates = {}
    for name, values in times.items():
        per_step = [t / n for t, n in zip(values, tokens, strict=True)]  # seconds per token, each step
        rates[name] = 1 / statistics.median(per_step)
        print(f"{name:<10} {statistics.median(values):>14.3f} {rates[name]:>10.0f}")
    ratios = [m / a for m, a in zip(times["muonclip"], times["adamw"], strict=True)]
    print(f"tokens_per_s={rates['muonclip']:.0f} muonclip_over_adamw={statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
