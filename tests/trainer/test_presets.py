"""Presets: K2's real size on the meta device, and the scaled-down presets keep its shape rules."""

from __future__ import annotations

import pytest
import torch
from transformers import DeepseekV3ForCausalLM

from trainer.flops import count_parameters, training_flops_per_token
from trainer.presets import PRESETS, get_preset, k2


def _meta_count(name: str):  # noqa: ANN202
    config = get_preset(name)
    with torch.device("meta"):
        model = DeepseekV3ForCausalLM(config)
    return config, count_parameters(model, config)


def test_k2_on_the_meta_device_is_1_03t_total_and_32_9b_activated() -> None:
    config, count = _meta_count("k2")
    assert count.total == pytest.approx(1.03e12, rel=0.01)
    assert count.activated == pytest.approx(32.9e9, rel=0.01)
    # the accounting NeMo's K2 throughput figures use: 2.055e11 FLOPs per token at 4k
    assert training_flops_per_token(count, config, 4096) == pytest.approx(2.055e11, rel=1e-3)


def test_k2_config_values() -> None:
    c = k2()
    assert (c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.vocab_size) == (61, 7168, 64, 163840)
    assert (c.n_routed_experts, c.num_experts_per_tok, c.n_shared_experts, c.first_k_dense_replace) == (
        384,
        8,
        1,
        1,
    )
    assert (c.q_lora_rank, c.kv_lora_rank, c.qk_nope_head_dim, c.qk_rope_head_dim, c.v_head_dim) == (
        1536,
        512,
        128,
        64,
        128,
    )
    assert c.rope_parameters["rope_type"] == "yarn" and c.rope_parameters["factor"] == 32.0
    assert c.max_position_embeddings == 131072 and c.num_mtp_layers == 0 and not c.tie_word_embeddings


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_keeps_k2_shape_rules(name: str) -> None:
    c = get_preset(name)
    assert c.first_k_dense_replace == 1 and c.n_shared_experts == 1
    assert c.n_group == 1 and c.topk_group == 1 and c.norm_topk_prob
    assert c.routed_scaling_factor == 2.827 and c.num_mtp_layers == 0 and not c.tie_word_embeddings
    assert c.q_lora_rank is not None and c.kv_lora_rank < c.hidden_size
    assert c.num_key_value_heads == c.num_attention_heads
    assert c.n_routed_experts >= 4 * c.num_experts_per_tok  # top-k of many experts
    assert c.rope_parameters["rope_type"] == "yarn" and not c.use_cache


def test_small_is_about_1b_and_tiny_a_few_million() -> None:
    assert _meta_count("k2-small")[1].total == pytest.approx(1.0e9, rel=0.1)
    assert 1e6 < _meta_count("k2-tiny")[1].total < 5e6


def test_unknown_preset_names_the_choices() -> None:
    with pytest.raises(ValueError, match="k2, k2-small, k2-tiny"):
        get_preset("k3")
