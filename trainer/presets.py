"""Model presets: Kimi K2's configuration and two scaled-down models with the same shape rules.

Shape rules kept by every preset: MLA attention (q and kv low-rank, a shared rope key), the first
layer dense and every later one MoE, one shared expert, sigmoid routing with a correction bias
(`noaux_tc`), no expert groups, normalised top-k gates scaled by 2.827, no MTP layers, untied
embeddings, YaRN RoPE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from transformers import DeepseekV3Config

__all__ = ["PRESETS", "get_preset", "k2", "k2_small", "k2_tiny"]


def _k2_shape(**sizes: Any) -> DeepseekV3Config:
    """A DeepseekV3Config with K2's fixed choices and the given sizes."""
    return DeepseekV3Config(
        first_k_dense_replace=1,
        n_shared_experts=1,
        n_group=1,
        topk_group=1,
        routed_scaling_factor=2.827,
        norm_topk_prob=True,
        num_mtp_layers=0,
        hidden_act="silu",
        rms_norm_eps=1e-6,
        tie_word_embeddings=False,
        attention_bias=False,
        use_cache=False,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=12,
        **sizes,
    )


def _yarn(factor: float, original_context: int) -> dict[str, Any]:
    """K2's YaRN RoPE (theta 50000, unit betas and mscales) stretching `original_context` by `factor`."""
    return {
        "rope_type": "yarn",
        "rope_theta": 50000.0,
        "factor": factor,
        "original_max_position_embeddings": original_context,
        "beta_fast": 1.0,
        "beta_slow": 1.0,
        "mscale": 1.0,
        "mscale_all_dim": 1.0,
    }


def _with_k2_token_ids(cfg: DeepseekV3Config) -> DeepseekV3Config:
    """`cfg` with K2's own token ids (163584 [BOS], 163585 [EOS], 163586 <|im_end|> ends a turn),
    for the presets that use K2's vocabulary."""
    cfg.bos_token_id, cfg.eos_token_id, cfg.pad_token_id = 163584, 163586, 163839
    return cfg


def k2() -> DeepseekV3Config:
    """Kimi K2 (Instruct/Base, July 2025): 61 layers, 384 experts top-8, ~1.03T total / ~32.9B active."""
    cfg = _k2_shape(
        vocab_size=163840,
        hidden_size=7168,
        intermediate_size=18432,
        moe_intermediate_size=2048,
        num_hidden_layers=61,
        num_attention_heads=64,
        num_key_value_heads=64,
        q_lora_rank=1536,
        kv_lora_rank=512,
        qk_nope_head_dim=128,
        qk_rope_head_dim=64,
        v_head_dim=128,
        n_routed_experts=384,
        num_experts_per_tok=8,
        max_position_embeddings=131072,
        rope_parameters=_yarn(factor=32.0, original_context=4096),
    )
    return _with_k2_token_ids(cfg)


def k2_small() -> DeepseekV3Config:
    """About 1B total parameters (K2's vocabulary), for one GPU."""
    cfg = _k2_shape(
        vocab_size=163840,
        hidden_size=1024,
        intermediate_size=2816,
        moe_intermediate_size=384,
        num_hidden_layers=12,
        num_attention_heads=8,
        num_key_value_heads=8,
        q_lora_rank=384,
        kv_lora_rank=128,
        qk_nope_head_dim=64,
        qk_rope_head_dim=32,
        v_head_dim=64,
        n_routed_experts=48,
        num_experts_per_tok=6,
        max_position_embeddings=32768,
        rope_parameters=_yarn(factor=8.0, original_context=4096),
    )
    return _with_k2_token_ids(cfg)


def k2_tiny() -> DeepseekV3Config:
    """A few million parameters, for CPU tests (vocabulary sized for the offline BPE tokenizer)."""
    return _k2_shape(
        vocab_size=2048,
        hidden_size=128,
        intermediate_size=384,
        moe_intermediate_size=80,
        num_hidden_layers=3,
        num_attention_heads=4,
        num_key_value_heads=4,
        q_lora_rank=64,
        kv_lora_rank=32,
        qk_nope_head_dim=32,
        qk_rope_head_dim=16,
        v_head_dim=32,
        n_routed_experts=24,
        num_experts_per_tok=4,
        max_position_embeddings=8192,
        rope_parameters=_yarn(factor=4.0, original_context=2048),
    )


PRESETS: dict[str, Callable[[], DeepseekV3Config]] = {"k2": k2, "k2-small": k2_small, "k2-tiny": k2_tiny}


def get_preset(name: str) -> DeepseekV3Config:
    """The config of a preset by name (`k2`, `k2-small`, `k2-tiny`)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]()
