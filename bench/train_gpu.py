"""One-GPU training throughput of k2-small: tokens/s and MFU, MuonClip against AdamW.

A step is forward + backward (bf16 autocast, fp32 master weights) + optimizer (+ QK-Clip and the
routing-bias update for MuonClip) on packed rows of synthetic token ids (documents of random
length with restarted position ids, as the trainer packs them; throughput does not depend on the
text). MFU = tokens/s × training FLOPs per token / the GPU's dense bf16 peak, with FLOPs per token
= 6·N_active (without the input embedding) + causal attention at the rows' effective document
length (`trainer.flops`). Run through `bench/train_gpu.sh`; never needed by tests.

    python bench/train_gpu.py [--preset k2-small] [--steps 20] [--seq-len 4096] [--rows 4]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import DeepseekV3ForCausalLM

from trainer.flops import count_parameters, training_flops_per_token
from trainer.muon import MuonClip, k2_param_groups
from trainer.presets import get_preset
from trainer.qk_clip import ATTN_IMPLEMENTATION, qk_clip_
from trainer.routing import ExpertLoadTracker

# Dense bf16 peak FLOP/s (no sparsity) by device name fragment.
PEAKS = {"H200": 989e12, "H100": 989e12, "H800": 989e12, "B200": 2250e12, "A100": 312e12, "L40S": 362e12}


def peak_flops(device: torch.device, override_tflops: float | None) -> float | None:
    if override_tflops is not None:
        return override_tflops * 1e12
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAKS.items() if k in name), None)


def packed_rows(
    vocab: int, rows: int, seq_len: int, gen: torch.Generator
) -> tuple[dict[str, torch.Tensor], float]:
    """One batch of packed rows and its effective document length (Σ L² / Σ L)."""
    ids = torch.randint(0, vocab, (rows, seq_len), generator=gen)
    positions, squares = [], 0
    for _ in range(rows):
        lengths, left = [], seq_len
        while left > 0:
            n = min(left, int(torch.randint(seq_len // 8, seq_len // 2 + 1, (1,), generator=gen)))
            lengths.append(n)
            left -= n
        positions.append(torch.cat([torch.arange(n) for n in lengths]))
        squares += sum(n * n for n in lengths)
    batch = {"input_ids": ids, "labels": ids.clone(), "position_ids": torch.stack(positions)}
    return batch, squares / (rows * seq_len)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="k2-small")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seq-len", type=int, default=4096)
    parser.add_argument("--rows", type=int, default=4, help="packed rows per step")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--peak-tflops", type=float, default=None, help="override the dense bf16 peak")
    parser.add_argument("--optimizers", default="muonclip,adamw")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("train_gpu: no CUDA device; this benchmark needs a GPU")

    config = get_preset(args.preset)
    gen = torch.Generator().manual_seed(0)
    batches = [
        packed_rows(config.vocab_size, args.rows, args.seq_len, gen) for _ in range(args.warmup + args.steps)
    ]
    peak = peak_flops(device, args.peak_tflops)
    print(f"{args.preset} on {torch.cuda.get_device_name(device) if device.type == 'cuda' else device}, "
          f"{args.rows}×{args.seq_len} tokens/step, {args.steps} timed steps after {args.warmup} warm-up")  # fmt: skip
    print(f"{'optimizer':<10} {'step s':>8} {'tokens/s':>10} {'TFLOP/s':>8} {'MFU':>6} {'peak GiB':>9}")
    results = {}
    for name in args.optimizers.split(","):
        torch.manual_seed(0)
        model = DeepseekV3ForCausalLM(config).to(device).train()
        model.set_attn_implementation(ATTN_IMPLEMENTATION if name == "muonclip" else "sdpa")
        count = count_parameters(model, config)
        if name == "muonclip":
            opt: torch.optim.Optimizer = MuonClip(k2_param_groups(model), lr=2e-4, weight_decay=0.1)
            tracker = ExpertLoadTracker(model)
        else:
            opt = torch.optim.AdamW(
                model.parameters(), lr=2e-4, weight_decay=0.1, betas=(0.9, 0.95), fused=True
            )
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        times, flops = [], []
        for i, (batch, doc_len) in enumerate(batches):
            batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss = model(**batch, use_cache=False).loss
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if name == "muonclip":
                qk_clip_(model, 100.0)
                tracker.update_bias_()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i >= args.warmup:
                times.append(time.perf_counter() - start)
                flops.append(training_flops_per_token(count, config, round(doc_len)))
        step = statistics.median(times)
        tokens_per_s = args.rows * args.seq_len / step
        achieved = tokens_per_s * statistics.mean(flops)
        mfu = f"{achieved / peak:.1%}" if peak else "n/a"
        memory = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
        print(
            f"{name:<10} {step:>8.3f} {tokens_per_s:>10.0f} {achieved / 1e12:>8.1f} {mfu:>6} {memory:>9.1f}"
        )
        results[name] = (tokens_per_s, mfu)
        del model, opt
    first = next(iter(results))
    print(f"tokens_per_s={results[first][0]:.0f} mfu={results[first][1]}")


if __name__ == "__main__":
    main()
