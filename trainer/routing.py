"""Auxiliary-loss-free load balancing (DeepSeek-V3 / K2) and expert-load statistics.

Each router keeps a correction bias `e_score_correction_bias` that is added to the sigmoid scores
only to choose the top-k experts (the gate weights use the unbiased scores). After each optimizer
step, every expert's bias moves by `speed` towards balance: up if the expert got fewer tokens
than the mean over experts, down if it got more (`b_i += speed · sign(mean_load − load_i)`).
Loads are counted by a forward hook on each router in training mode, summed over micro-batches
and over ranks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3TopkRouter

__all__ = ["ExpertLoad", "ExpertLoadTracker"]


@dataclass(frozen=True)
class ExpertLoad:
    loads: Tensor  # [moe layers, experts] tokens routed to each expert during the step

    def as_logs(self) -> dict[str, float]:
        """Max violation per layer (max load / mean load − 1, 0 = perfectly balanced)."""
        mean = self.loads.float().mean(dim=1).clamp(min=1e-9)
        violation = self.loads.float().amax(dim=1) / mean - 1
        logs = {f"experts/max_violation/layer_{i}": v for i, v in enumerate(violation.tolist())}
        logs["experts/max_violation"] = violation.max().item()
        logs["experts/max_violation_mean"] = violation.mean().item()
        return logs


class ExpertLoadTracker:
    """Counts tokens per expert in every MoE router and applies the bias update."""

    def __init__(self, model: nn.Module, speed: float = 1e-3) -> None:
        self.speed = speed
        self.routers = [m for m in model.modules() if isinstance(m, DeepseekV3TopkRouter)]
        self._counts = [torch.zeros(r.num_experts, dtype=torch.long) for r in self.routers]
        self._handles: list[RemovableHandle] = [
            r.register_forward_hook(self._hook(i)) for i, r in enumerate(self.routers)
        ]

    def _hook(self, index: int) -> Callable[[nn.Module, tuple[Tensor, ...], tuple[Tensor, ...]], None]:
        def count(module: nn.Module, inputs: tuple[Tensor, ...], output: tuple[Tensor, ...]) -> None:
            if not module.training:
                return
            top_k_index = output[2]
            counts = torch.bincount(top_k_index.flatten(), minlength=self._counts[index].numel())
            self._counts[index] = self._counts[index].to(counts.device) + counts

        return count

    def take_loads(self) -> ExpertLoad | None:
        """The loads counted since the last call (summed over ranks), clearing them."""
        if not self.routers:
            return None
        loads = torch.stack(self._counts)
        self._counts = [torch.zeros_like(c) for c in self._counts]
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            dist.all_reduce(loads, op=dist.ReduceOp.SUM)
        return ExpertLoad(loads=loads.cpu())

    @torch.no_grad()
    def update_bias_(self) -> ExpertLoad | None:
        """Nudge every router's correction bias towards balance; returns the loads used."""
        load = self.take_loads()
        if load is None or self.speed == 0:
            return load
        for router, counts in zip(self.routers, load.loads, strict=True):
            counts = counts.float()
            if counts.sum() == 0:
                continue
            bias = router.e_score_correction_bias
            bias.add_(torch.sign(counts.mean() - counts).to(bias.device, bias.dtype), alpha=self.speed)
        return load

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
