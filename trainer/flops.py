"""Parameter counts (total and activated per token) and training FLOPs per token, for MFU."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn
from transformers import DeepseekV3Config

__all__ = ["ParamCount", "count_parameters", "training_flops_per_token"]

_ROUTED = ("mlp.experts.gate_up_proj", "mlp.experts.down_proj")


@dataclass(frozen=True)
class ParamCount:
    total: int
    activated: int  # per token: routed experts counted at top_k / n_experts, input embedding included
    input_embedding: int


def count_parameters(model: nn.Module, config: DeepseekV3Config) -> ParamCount:
    """Count a DeepseekV3 model's parameters; works on the meta device."""
    total = activated = embedding = 0
    top_k, experts = config.num_experts_per_tok, config.n_routed_experts
    if top_k is None or experts is None:
        raise ValueError("the config names no routed experts (num_experts_per_tok, n_routed_experts)")
    share = top_k / experts
    for name, p in model.named_parameters():
        n = p.numel()
        total += n
        activated += round(n * share) if name.endswith(_ROUTED) else n
        if name.endswith("embed_tokens.weight"):
            embedding += n
    return ParamCount(total=total, activated=activated, input_embedding=embedding)


def training_flops_per_token(count: ParamCount, config: DeepseekV3Config, seq_len: int) -> float:
    """6·N_active (without the input embedding lookup) plus causal attention, forward and backward.

    Causal attention: QKᵀ and AV over on average seq_len/2 keys, 2 FLOPs per multiply-add, ×3 for
    forward + backward → 3 · seq_len · heads · (qk_head_dim + v_head_dim) · layers per token. For K2 at
    4k this gives 2.055e11, the accounting NeMo's K2 throughput figures use.
    """
    qk, v = config.qk_nope_head_dim + config.qk_rope_head_dim, config.v_head_dim
    if v is None:
        raise ValueError("the config has no v_head_dim")
    attention = 3 * seq_len * config.num_attention_heads * (qk + v) * config.num_hidden_layers
    return 6 * (count.activated - count.input_embedding) + attention
