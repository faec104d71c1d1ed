"""QK-Clip for MLA: capture each head's max attention logit, then rescale that head's q/k weights.

Capture: the attention implementation `sdpa_qkmax` (registered with transformers'
`AttentionInterface` and, so the causal/packed-document mask is still built, with
`AttentionMaskInterface`) computes, in training mode, the per-head max of the scaled logits over
the positions each query may attend (same document, causal), then runs ordinary sdpa — so the
model's output is sdpa's, bit for bit. Maxima accumulate over micro-batches until the next clip.

Clip (K2 §2.1, after each optimizer step): γ_h = min(1, τ / S_max^h); in `q_b_proj` head h's
q_nope rows × √γ_h and q_rope rows × γ_h; in `kv_b_proj` head h's k_nope rows × √γ_h. V rows and
`kv_a_proj_with_mqa` (which holds the rope key shared by all heads) are never touched. Every
logit of head h is then γ_h times what it was, so a clipped head's max becomes exactly τ.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.distributed.tensor import DTensor, distribute_tensor
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3Attention

__all__ = ["ATTN_IMPLEMENTATION", "QKClipStats", "head_max_logits", "qk_clip_", "take_max_logits"]

ATTN_IMPLEMENTATION = "sdpa_qkmax"

_captured: weakref.WeakKeyDictionary[nn.Module, Tensor] = weakref.WeakKeyDictionary()


@torch.no_grad()
def head_max_logits(
    query: Tensor, key: Tensor, attention_mask: Tensor | None, scaling: float, budget: int | None = None
) -> Tensor:
    """Per-head max of `scaling · q·k` over allowed (query, key) pairs; `[H]`, fp32.

    Causal attention: `attention_mask` is sdpa's boolean mask (True = may attend, causal and
    per document) or None for plain causal. Queries go in chunks of about `budget` logits, each
    against only the keys at or before its last query: small chunks on CPU (cache-sized; 3.5×
    faster than one pass on k2-tiny rows of 2k tokens), large ones on accelerators (few launches).
    """
    if budget is None:
        budget = 1 << 20 if query.device.type == "cpu" else 1 << 28
    batch, heads, tq, _ = query.shape
    tk = key.shape[2]
    keys = key.float().transpose(-1, -2)
    rows = max(1, budget // (batch * heads * tk))
    out = torch.full((heads,), float("-inf"), device=query.device)
    for start in range(0, tq, rows):
        stop = min(tq, start + rows)
        visible = stop + tk - tq  # keys after the chunk's last query are masked for every row in it
        logits = torch.matmul(query[:, :, start:stop].float(), keys[..., :visible]).mul_(scaling)
        if attention_mask is None:
            positions = torch.arange(start, stop, device=query.device)[:, None] + (tk - tq)
            allowed = positions >= torch.arange(visible, device=query.device)[None, :]
        else:
            allowed = attention_mask[:, :, start:stop, :visible]
        logits.masked_fill_(~allowed, float("-inf"))
        out = torch.maximum(out, logits.amax(dim=(0, 2, 3)))
    return out


def _sdpa_qkmax(
    module: nn.Module,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attention_mask: Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[Tensor, None]:
    if module.training:
        scale = scaling if scaling is not None else query.shape[-1] ** -0.5
        current = head_max_logits(query, key, attention_mask, scale)
        previous = _captured.get(module)
        _captured[module] = current if previous is None else torch.maximum(previous, current)
    return sdpa_attention_forward(module, query, key, value, attention_mask, dropout, scaling, **kwargs)


AttentionInterface.register(ATTN_IMPLEMENTATION, _sdpa_qkmax)
AttentionMaskInterface.register(ATTN_IMPLEMENTATION, sdpa_mask)


def _attention_layers(model: nn.Module) -> list[DeepseekV3Attention]:
    return [m for m in model.modules() if isinstance(m, DeepseekV3Attention)]


def take_max_logits(model: nn.Module) -> Tensor | None:
    """The captured per-head maxima `[layers, H]` (max over ranks), clearing them; None if none."""
    layers = _attention_layers(model)
    maxima = [_captured.pop(layer, None) for layer in layers]
    found = [m for m in maxima if m is not None]
    if len(found) < len(maxima):
        return None
    stacked = torch.stack(found)
    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(stacked, op=dist.ReduceOp.MAX)
    return stacked


def _scale_rows_(weight: Tensor, rows: Tensor) -> None:
    """weight[i, :] *= rows[i], on the local shard when `weight` is a row-sharded DTensor."""
    if isinstance(weight, DTensor):
        local_rows = distribute_tensor(rows, weight.device_mesh, weight.placements, src_data_rank=None)
        weight.to_local().mul_(local_rows.to_local().to(weight.dtype)[:, None])
    else:
        weight.mul_(rows.to(weight.dtype)[:, None])


@dataclass(frozen=True)
class QKClipStats:
    max_logits: Tensor  # [layers, H], before clipping
    clipped: Tensor  # [layers, H] bool

    def as_logs(self) -> dict[str, float]:
        per_layer = self.max_logits.amax(dim=1).tolist()
        logs = {f"qk/max_logit/layer_{i}": v for i, v in enumerate(per_layer)}
        logs["qk/max_logit"] = max(per_layer)
        logs["qk/clipped_head_share"] = self.clipped.float().mean().item()
        return logs


@torch.no_grad()
def qk_clip_(model: nn.Module, tau: float = 100.0) -> QKClipStats | None:
    """Apply QK-Clip with threshold `tau` from the maxima captured since the last call."""
    maxima = take_max_logits(model)
    if maxima is None:
        return None
    clipped = maxima > tau
    # a true division: torch computes `tau / tensor` as tau * (1 / tensor), which put a head whose
    # max was exactly τ at γ = 0.99999994 (about one in eight such values), scaled and counted it
    gammas = torch.where(clipped, maxima.new_tensor(tau) / maxima, torch.ones_like(maxima))
    for attn, gamma in zip(_attention_layers(model), gammas, strict=True):
        if bool((gamma >= 1).all()):
            continue
        heads, nope, rope, v = attn.num_heads, attn.qk_nope_head_dim, attn.qk_rope_head_dim, attn.v_head_dim
        q_proj = attn.q_b_proj if attn.q_b_proj is not None else attn.q_proj
        # an MLA layer has both; transformers types them optional
        assert v is not None and q_proj is not None
        g, sqrt_g = gamma[:, None].float(), gamma.sqrt()[:, None].float()
        q_rows = torch.cat([sqrt_g.expand(heads, nope), g.expand(heads, rope)], dim=1).reshape(-1)
        kv_rows = torch.cat(
            [sqrt_g.expand(heads, nope), torch.ones(heads, v, device=gamma.device)], dim=1
        ).reshape(-1)
        q_weight = q_proj.weight
        _scale_rows_(q_weight, q_rows.to(q_weight.device))
        _scale_rows_(attn.kv_b_proj.weight, kv_rows.to(attn.kv_b_proj.weight.device))
    return QKClipStats(max_logits=maxima.cpu(), clipped=clipped.cpu())
