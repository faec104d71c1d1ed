"""MuonClip's optimizer half: Muon on hidden matrices, AdamW on the rest, in one optimizer.

Muon (K2 Algorithm 1 / Moonlight): momentum, Newton–Schulz orthogonalisation (quintic 3.4445,
−4.7750, 2.0315; 5 steps; bf16), the update scaled by 0.2·√max(A, B) so its RMS matches AdamW's,
decoupled weight decay `W ← W·(1 − lr·wd)`. The momentum is kept in the EMA form of
`torch.optim.Muon` (`M ← lerp(M, G, 1 − μ)`, Nesterov `lerp(G, M, μ)`), which is K2's
`M ← μM + G` times (1 − μ): Newton–Schulz normalises that scalar away, and with it our 2-D updates
are the same as torch's. 3-D expert tensors are orthogonalised per expert, and HF's fused
`gate_up_proj [E, 2I, H]` per half (K2's separate w1 and w3). The other half of MuonClip, QK-Clip,
runs right after `step()` (see `trainer.qk_clip`).

Parameters may be FSDP2 DTensors sharded on dim 0: element-wise work runs on the shards, a 3-D
expert tensor's shard holds whole experts (orthogonalised locally), and a sharded 2-D matrix is
gathered for Newton–Schulz and its own rows taken back.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.distributed.tensor import DTensor, Shard, distribute_tensor
from torch.optim.adam import adam

__all__ = ["MuonClip", "k2_param_groups", "newton_schulz"]

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)

Kind = Literal["muon", "adamw"]


def newton_schulz(
    g: Tensor,
    steps: int = 5,
    coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    eps: float = 1e-7,
    dtype: torch.dtype = torch.bfloat16,
) -> Tensor:
    """Orthogonalise every matrix in the last two dims of `g` (≈ U·Vᵀ of its SVD).

    For a 2-D `g` this is the same sequence of operations as `torch.optim.Muon`.
    """
    a, b, c = coefficients
    x = g.to(dtype)
    transpose = g.size(-2) > g.size(-1)
    if transpose:
        x = x.mT
    if x.ndim == 2:
        x = x / x.norm().clamp(min=eps)
        for _ in range(steps):
            gram = x @ x.mT
            update = torch.addmm(gram, gram, gram, beta=b, alpha=c)
            x = torch.addmm(x, update, x, beta=a)
    else:
        batch = x.shape[:-2]
        x = x.reshape(-1, *x.shape[-2:])
        x = x / x.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)
        for _ in range(steps):
            gram = torch.bmm(x, x.mT)
            update = torch.baddbmm(gram, gram, gram, beta=b, alpha=c)
            x = torch.baddbmm(x, update, x, beta=a)
        x = x.reshape(*batch, *x.shape[-2:])
    return x.mT if transpose else x


def _local(t: Tensor) -> Tensor:
    return t.to_local() if isinstance(t, DTensor) else t


def k2_param_groups(model: nn.Module) -> list[dict[str, Any]]:
    """Split a DeepseekV3 model's parameters into MuonClip groups, by an ordered first-match rule.

    1. `embed_tokens`, `lm_head` → AdamW;  2. 1-D (norm gains) → AdamW;
    3. `experts.gate_up_proj` [E, 2I, H] → Muon per expert and per half;
    4. `experts.down_proj` [E, H, I] → Muon per expert;  5. any other 2-D matrix (attention
    projections, dense and shared MLPs, the router) → Muon.
    Every parameter lands in exactly one group; anything else raises.
    """
    groups: dict[str, dict[str, Any]] = {
        "muon": {"params": [], "kind": "muon", "split": 1},
        "muon_gate_up": {"params": [], "kind": "muon", "split": 2},
        "adamw": {"params": [], "kind": "adamw", "split": 1},
    }
    seen: dict[int, str] = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if "embed_tokens" in name or "lm_head" in name or p.ndim == 1:
            key = "adamw"
        elif name.endswith("experts.gate_up_proj") and p.ndim == 3:
            key = "muon_gate_up"
        elif (name.endswith("experts.down_proj") and p.ndim == 3) or p.ndim == 2:
            key = "muon"
        else:
            raise ValueError(f"no optimizer rule for parameter {name} of shape {tuple(p.shape)}")
        assert id(p) not in seen, f"{name} is shared with {seen[id(p)]}"
        seen[id(p)] = name
        groups[key]["params"].append(p)
    trainable = [p for p in model.parameters() if p.requires_grad]
    assert len(seen) == len(trainable), "every trainable parameter must be in exactly one group"
    return [g for g in groups.values() if g["params"]]


class MuonClip(torch.optim.Optimizer):
    """Muon for groups with `kind="muon"` (optional `split` of dim −2), AdamW for `kind="adamw"`."""

    def __init__(
        self,
        params: Iterable[dict[str, Any]],
        lr: float = 2e-4,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_steps: int = 5,
        ns_dtype: torch.dtype = torch.bfloat16,
        betas: tuple[float, float] = (0.9, 0.95),
        eps: float = 1e-8,
    ) -> None:
        defaults = {
            "lr": lr,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "nesterov": nesterov,
            "ns_steps": ns_steps,
            "betas": betas,
            "eps": eps,
            "kind": "muon",
            "split": 1,
        }
        super().__init__(list(params), defaults)
        self.ns_dtype = ns_dtype
        for group in self.param_groups:
            if group["kind"] not in ("muon", "adamw"):
                raise ValueError(f"param group kind must be 'muon' or 'adamw', got {group['kind']!r}")
            if group["kind"] == "muon" and any(p.ndim not in (2, 3) for p in group["params"]):
                raise ValueError("Muon groups take 2-D matrices and 3-D expert tensors only")

    @torch.no_grad()
    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:  # pyright: ignore[reportIncompatibleMethodOverride]  # torch types the closure as returning float; a training closure returns the loss tensor
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            if group["kind"] == "muon":
                self._muon_group(group)
            else:
                self._adamw_group(group)
        return loss

    def _muon_group(self, group: dict[str, Any]) -> None:
        lr, wd, mu, split = group["lr"], group["weight_decay"], group["momentum"], group["split"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p.grad)
            buf = state["momentum_buffer"]
            buf.lerp_(p.grad, 1 - mu)
            update = p.grad.lerp(buf, mu) if group["nesterov"] else buf
            if isinstance(update, DTensor) and p.ndim == 2:  # a sharded matrix: NS needs all of it
                ortho = newton_schulz(update.full_tensor(), group["ns_steps"], dtype=self.ns_dtype)
                ortho = distribute_tensor(ortho, p.device_mesh, p.placements, src_data_rank=None).to_local()
            else:  # a plain tensor, or an expert tensor whose shard holds whole experts
                if isinstance(p, DTensor) and any(
                    isinstance(pl, Shard) and pl.dim != 0 for pl in p.placements
                ):
                    raise ValueError("MuonClip needs 3-D expert tensors sharded on the expert dim (0)")
                local_update = _local(update)
                if split > 1:  # [..., k·R, C] → [..., k, R, C]: each block on its own
                    local_update = local_update.unflatten(-2, (split, local_update.size(-2) // split))
                ortho = newton_schulz(local_update, group["ns_steps"], dtype=self.ns_dtype)
                if split > 1:
                    ortho = ortho.flatten(-3, -2)
            rows, cols = p.shape[-2] // split, p.shape[-1]
            local = _local(p)
            local.mul_(1 - lr * wd)
            local.add_(ortho.to(local.dtype), alpha=-lr * 0.2 * math.sqrt(max(rows, cols)))

    def _adamw_group(self, group: dict[str, Any]) -> None:
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if "step" not in state:
                state["step"] = torch.zeros((), dtype=torch.float32)
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        beta1, beta2 = group["betas"]
        adam(  # torch's AdamW arithmetic (decoupled weight decay), multi-tensor
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            foreach=True,
            decoupled_weight_decay=True,
            amsgrad=False,
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
        )
