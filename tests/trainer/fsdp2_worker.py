"""Run by test_distributed.py under `torchrun --nproc_per_node 2`: MuonClip + QK-Clip + the routing
bias update on an FSDP2-sharded k2-tiny (gloo, CPU), checked on rank 0 against the same steps
without sharding, on one process that sees every rank's batch. Writes a JSON verdict to argv[1]."""

from __future__ import annotations

import copy
import json
import os
import sys

import torch
import torch.distributed as dist
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor
from transformers import DeepseekV3ForCausalLM

from trainer.muon import MuonClip, k2_param_groups
from trainer.presets import k2_tiny
from trainer.qk_clip import ATTN_IMPLEMENTATION, qk_clip_
from trainer.routing import ExpertLoadTracker

STEPS, TAU, VOCAB = 3, 0.12, 256


def batch(step: int, rank: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1000 * step + rank)
    ids = torch.randint(0, VOCAB, (1, 160), generator=g)
    return {
        "input_ids": ids,
        "labels": ids,
        "position_ids": torch.cat([torch.arange(70), torch.arange(90)])[None],
    }


def train(model: DeepseekV3ForCausalLM, ranks: list[int]) -> list[int]:
    """STEPS steps over the batches of `ranks` (loss averaged over them); returns clipped heads per step."""
    opt = MuonClip(k2_param_groups(model), lr=2e-2, weight_decay=0.1, ns_dtype=torch.float32)
    tracker = ExpertLoadTracker(model, speed=0.01)
    clipped = []
    for step in range(STEPS):
        for rank in ranks:
            (model(**batch(step, rank), use_cache=False).loss / len(ranks)).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        stats = qk_clip_(model, TAU)
        assert stats is not None
        clipped.append(int(stats.clipped.sum()))
        tracker.update_bias_()
    return clipped


def full_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    state = {n: p.full_tensor() if isinstance(p, DTensor) else p for n, p in model.named_parameters()}
    state.update((n, b) for n, b in model.named_buffers() if n.endswith("e_score_correction_bias"))
    return {n: t.detach().clone() for n, t in state.items()}


def main() -> None:
    torch.set_num_threads(1)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    torch.manual_seed(0)
    config = k2_tiny()
    config.vocab_size = VOCAB
    model = DeepseekV3ForCausalLM(config)
    model.set_attn_implementation(ATTN_IMPLEMENTATION)
    start = full_state(model)
    if rank == 0:  # the reference first, before any process group exists
        reference = copy.deepcopy(model)
        clipped_ref = train(reference.train(), list(range(world)))
        ref_state = full_state(reference)
    dist.init_process_group("gloo")
    for layer in model.model.layers:
        fully_shard(layer)
    fully_shard(model)
    expert = model.model.layers[1].mlp.experts.gate_up_proj
    sharded = isinstance(expert, DTensor) and expert.to_local().shape[0] == config.n_routed_experts // world
    clipped = train(model.train(), [rank])
    sharded_state = full_state(model)
    if rank == 0:
        diffs = {n: (sharded_state[n] - ref_state[n]).abs().max().item() for n in ref_state}
        moved = {n: (ref_state[n] - start[n]).abs().max().item() for n in ref_state}
        verdict = {
            "world": world,
            "experts_sharded_by_expert": sharded,
            "clipped": clipped,
            "clipped_reference": clipped_ref,
            "max_diff": max(diffs.values()),
            "worst": max(diffs, key=diffs.__getitem__),
            "min_moved": min(moved.values()),
        }
        with open(sys.argv[1], "w") as f:
            json.dump(verdict, f)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
