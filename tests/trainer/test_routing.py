"""Aux-loss-free routing balance: loads counted per expert, the bias nudged towards balance."""

from __future__ import annotations

import torch
from transformers import DeepseekV3ForCausalLM

from trainer.presets import k2_tiny
from trainer.routing import ExpertLoadTracker


def _model() -> DeepseekV3ForCausalLM:
    torch.manual_seed(0)
    config = k2_tiny()
    config.vocab_size = 256
    model = DeepseekV3ForCausalLM(config).train()
    with torch.no_grad():  # a skewed router: a few experts win most tokens
        for layer in model.model.layers[1:]:
            layer.mlp.gate.weight.normal_(0, 0.3)
            layer.mlp.gate.weight[:3] += 0.5
    return model


def test_loads_count_every_routed_token_and_the_bias_moves_by_sign() -> None:
    model = _model()
    tracker = ExpertLoadTracker(model, speed=0.01)
    ids = torch.randint(0, 256, (2, 64))
    with torch.no_grad():
        model(input_ids=ids, use_cache=False)
    routers = tracker.routers
    assert len(routers) == model.config.num_hidden_layers - 1
    before = [r.e_score_correction_bias.clone() for r in routers]
    load = tracker.update_bias_()
    assert load is not None
    assert load.loads.sum(dim=1).tolist() == [ids.numel() * model.config.num_experts_per_tok] * len(routers)
    for router, counts, b0 in zip(routers, load.loads, before, strict=True):
        step = router.e_score_correction_bias - b0
        mean = counts.float().mean()
        assert torch.equal(step, 0.01 * torch.sign(mean - counts.float()))
    logs = load.as_logs()
    assert logs["experts/max_violation"] > 0 and "experts/max_violation/layer_0" in logs
    assert tracker.take_loads().loads.sum() == 0  # counts were cleared


def test_repeated_updates_balance_a_skewed_router() -> None:
    model = _model()
    tracker = ExpertLoadTracker(model, speed=0.02)
    ids = torch.randint(0, 256, (1, 256), generator=torch.Generator().manual_seed(3))
    violations = []
    with torch.no_grad():
        for _ in range(40):
            model(input_ids=ids, use_cache=False)
            violations.append(tracker.update_bias_().as_logs()["experts/max_violation_mean"])
    assert violations[-1] < 0.5 * violations[0]


def test_eval_forwards_are_not_counted_and_speed_zero_freezes_the_bias() -> None:
    model = _model()
    tracker = ExpertLoadTracker(model, speed=0.0)
    with torch.no_grad():
        model.eval()(input_ids=torch.randint(0, 256, (1, 32)), use_cache=False)
        assert tracker.take_loads().loads.sum() == 0
        model.train()(input_ids=torch.randint(0, 256, (1, 32)), use_cache=False)
    tracker.update_bias_()
    assert all(
        torch.equal(r.e_score_correction_bias, torch.zeros_like(r.e_score_correction_bias))
        for r in tracker.routers
    )
