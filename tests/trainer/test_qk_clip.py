"""QK-Clip: exact per-head max-logit capture on packed rows, and the clip itself."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from transformers import DeepseekV3ForCausalLM
from transformers.models.deepseek_v3.modeling_deepseek_v3 import DeepseekV3Attention

from trainer.presets import k2_tiny
from trainer.qk_clip import ATTN_IMPLEMENTATION, head_max_logits, qk_clip_, take_max_logits

DOCS = (90, 130, 60)


@pytest.fixture()
def model() -> DeepseekV3ForCausalLM:
    torch.manual_seed(0)
    config = k2_tiny()
    config.vocab_size = 512
    m = DeepseekV3ForCausalLM(config)
    # larger q/k weights so heads differ and logits are far from 0
    with torch.no_grad():
        for layer in m.model.layers:
            layer.self_attn.q_b_proj.weight.mul_(
                torch.linspace(1, 12, layer.self_attn.q_b_proj.weight.shape[0])[:, None]
            )
            layer.self_attn.kv_b_proj.weight.mul_(6)
    m.set_attn_implementation(ATTN_IMPLEMENTATION)
    return m.train()


def _packed() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 512, (1, sum(DOCS)), generator=g)
    pos = torch.cat([torch.arange(n) for n in DOCS])[None]
    return {"input_ids": ids, "position_ids": pos}


def test_capture_leaves_the_loss_equal_to_plain_sdpa(model: DeepseekV3ForCausalLM) -> None:
    batch = _packed()
    loss_capture = model(**batch, labels=batch["input_ids"], use_cache=False).loss
    model.set_attn_implementation("sdpa")
    loss_sdpa = model(**batch, labels=batch["input_ids"], use_cache=False).loss
    assert torch.equal(loss_capture, loss_sdpa)
    assert take_max_logits(model) is not None


def test_packed_capture_equals_the_max_over_documents_run_alone(model: DeepseekV3ForCausalLM) -> None:
    batch = _packed()
    with torch.no_grad():
        model(**batch, use_cache=False)
        packed = take_max_logits(model)
        alone = []
        start = 0
        for n in DOCS:
            model(input_ids=batch["input_ids"][:, start : start + n], use_cache=False)
            alone.append(take_max_logits(model))
            start += n
    assert packed is not None and packed.shape == (3, 4)
    assert torch.allclose(packed, torch.stack(alone).amax(dim=0), rtol=1e-6, atol=1e-6)


def _record_attention_inputs(model: DeepseekV3ForCausalLM) -> tuple[dict[int, Any], list[Any]]:
    seen: dict[int, Any] = {}

    def hook(module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        seen[module.layer_idx] = (args, dict(kwargs))

    handles = [
        m.register_forward_pre_hook(hook, with_kwargs=True)
        for m in model.modules()
        if isinstance(m, DeepseekV3Attention)
    ]
    return seen, handles


def test_clipped_heads_reach_tau_exactly_and_the_rest_is_untouched(model: DeepseekV3ForCausalLM) -> None:
    batch = _packed()
    seen, handles = _record_attention_inputs(model)
    with torch.no_grad():
        model(**batch, use_cache=False)
    for h in handles:
        h.remove()
    before_weights = copy.deepcopy(model.state_dict())
    maxima = take_max_logits(model)
    assert maxima is not None
    tau = maxima.median().item()
    model(**batch, use_cache=False)  # capture again for the clip (take_max_logits cleared it)
    stats = qk_clip_(model, tau)
    assert stats is not None and torch.equal(stats.max_logits, maxima)
    clipped = maxima > tau
    assert torch.equal(stats.clipped, clipped) and 0 < clipped.sum() < clipped.numel()

    with torch.no_grad():  # each layer on the very inputs it saw before the clip
        for layer in model.model.layers:
            args, kwargs = seen[layer.self_attn.layer_idx]
            layer.self_attn(*args, **kwargs)
    after = take_max_logits(model)
    assert after is not None
    assert torch.allclose(after[clipped], torch.full_like(after[clipped], tau), rtol=1e-4, atol=0)
    assert torch.allclose(after[~clipped], maxima[~clipped], rtol=1e-6, atol=1e-6)

    state = model.state_dict()
    for layer_idx, layer in enumerate(model.model.layers):
        a = layer.self_attn
        prefix = f"model.layers.{layer_idx}.self_attn."
        for name in ("kv_a_proj_with_mqa.weight", "q_a_proj.weight", "o_proj.weight"):
            assert torch.equal(
                state[prefix + name], before_weights[prefix + name]
            )  # incl. the shared rope key
        heads, nope, rope, v = a.num_heads, a.qk_nope_head_dim, a.qk_rope_head_dim, a.v_head_dim
        kv_now = state[prefix + "kv_b_proj.weight"].view(heads, nope + v, -1)
        kv_was = before_weights[prefix + "kv_b_proj.weight"].view(heads, nope + v, -1)
        assert torch.equal(kv_now[:, nope:], kv_was[:, nope:])  # V rows
        q_now = state[prefix + "q_b_proj.weight"].view(heads, nope + rope, -1)
        q_was = before_weights[prefix + "q_b_proj.weight"].view(heads, nope + rope, -1)
        gamma = torch.clamp(tau / maxima[layer_idx], max=1.0)
        for h in range(heads):
            if not clipped[layer_idx, h]:
                assert torch.equal(q_now[h], q_was[h]) and torch.equal(kv_now[h], kv_was[h])
                continue
            assert torch.allclose(q_now[h, :nope], q_was[h, :nope] * gamma[h].sqrt())
            assert torch.allclose(q_now[h, nope:], q_was[h, nope:] * gamma[h])
            assert torch.allclose(kv_now[h, :nope], kv_was[h, :nope] * gamma[h].sqrt())


def test_a_head_exactly_at_tau_is_neither_scaled_nor_counted(model: DeepseekV3ForCausalLM) -> None:
    """τ set to each head's own max in turn: that head (and any below) keeps its weights bit for bit.
    `tau / maxima` is a multiply by the reciprocal in torch, which put about one such head in eight
    at γ = 0.99999994."""
    batch = _packed()
    with torch.no_grad():
        model(**batch, use_cache=False)
    maxima = take_max_logits(model)
    assert maxima is not None
    original = copy.deepcopy(model.state_dict())
    for tau in maxima.flatten().tolist():
        model.load_state_dict(original)
        with torch.no_grad():
            model(**batch, use_cache=False)
        stats = qk_clip_(model, tau)
        assert stats is not None and torch.equal(stats.max_logits, maxima)
        assert torch.equal(stats.clipped, maxima > tau)
        state = model.state_dict()
        for layer_idx, layer in enumerate(model.model.layers):
            heads, nope, rope = (
                layer.self_attn.num_heads,
                layer.self_attn.qk_nope_head_dim,
                layer.self_attn.qk_rope_head_dim,
            )
            name = f"model.layers.{layer_idx}.self_attn.q_b_proj.weight"
            now, was = state[name].view(heads, nope + rope, -1), original[name].view(heads, nope + rope, -1)
            for h in range(heads):
                if not bool(maxima[layer_idx, h] > tau):
                    assert torch.equal(now[h], was[h])


def test_nothing_is_captured_in_eval_mode(model: DeepseekV3ForCausalLM) -> None:
    model.eval()
    with torch.no_grad():
        model(**_packed(), use_cache=False)
    assert take_max_logits(model) is None
    assert qk_clip_(model, 1.0) is None


@pytest.mark.parametrize("budget", [None, 4 * 64, 4 * 64 * 7])
def test_chunked_max_equals_brute_force(budget: int | None) -> None:
    g = torch.Generator().manual_seed(5)
    q, k = torch.randn(1, 4, 64, 24, generator=g), torch.randn(1, 4, 64, 24, generator=g)
    causal = torch.ones(64, 64).tril().bool()
    doc = torch.arange(64) // 20
    packed = (causal & (doc[:, None] == doc[None, :]))[None, None]
    for mask, allowed in ((None, causal), (packed, packed[0, 0])):
        logits = (q @ k.transpose(-1, -2) * 0.3).masked_fill(~allowed, float("-inf"))
        assert torch.allclose(head_max_logits(q, k, mask, 0.3, budget), logits.amax(dim=(0, 2, 3)))
