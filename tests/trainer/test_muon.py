"""MuonClip's optimizer: equal to torch.optim.Muon on 2-D weights, per-expert and per-half on 3-D
expert tensors, torch's AdamW on the rest, and every parameter in exactly one group."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import DeepseekV3ForCausalLM

from trainer.muon import MuonClip, k2_param_groups, newton_schulz
from trainer.presets import k2_tiny

BF16_EPS = 2**-8


def test_matches_torch_muon_on_2d_weights_within_bf16_tolerance() -> None:
    torch.manual_seed(0)
    for shape in [(96, 256), (256, 96), (64, 64)]:
        start = torch.randn(*shape)
        ours, ref = start.clone().requires_grad_(), start.clone().requires_grad_()
        opt = MuonClip([{"params": [ours], "kind": "muon"}], lr=0.02, weight_decay=0.1, momentum=0.95)
        torch_opt = torch.optim.Muon(
            [ref], lr=0.02, weight_decay=0.1, momentum=0.95, nesterov=True, adjust_lr_fn="match_rms_adamw"
        )
        for _ in range(5):
            grad = torch.randn(*shape)
            ours.grad, ref.grad = grad.clone(), grad.clone()
            opt.step()
            torch_opt.step()
        delta_ours, delta_ref = (ours - start).detach(), (ref - start).detach()
        assert (delta_ours - delta_ref).norm() <= BF16_EPS * delta_ref.norm()


def test_update_is_ns_scaled_by_0_2_sqrt_max_dim_with_decoupled_weight_decay() -> None:
    torch.manual_seed(1)
    w0, grad = torch.randn(48, 160), torch.randn(48, 160)
    w = w0.clone().requires_grad_()
    w.grad = grad
    lr, wd, mu = 0.01, 0.1, 0.9
    MuonClip([{"params": [w], "kind": "muon"}], lr=lr, weight_decay=wd, momentum=mu).step()
    # first step: buffer = (1-mu)·g, Nesterov lerp → (1-mu²)·g ∝ g; NS removes the scale
    expected = w0 * (1 - lr * wd) - lr * 0.2 * math.sqrt(160) * newton_schulz((1 - mu**2) * grad).float()
    assert torch.allclose(w.detach(), expected, atol=1e-6)


def test_ns_orthogonalises() -> None:
    torch.manual_seed(2)
    o = newton_schulz(torch.randn(64, 256)).float()
    singular = torch.linalg.svdvals(o)
    assert singular.min() > 0.5 and singular.max() < 1.3  # the quintic's U·S'·Vᵀ, S' ≈ 1


def test_experts_are_orthogonalised_one_by_one_and_gate_up_per_half() -> None:
    torch.manual_seed(3)
    experts, inter, hidden = 4, 24, 40
    gate_up0, down0 = torch.randn(experts, 2 * inter, hidden), torch.randn(experts, hidden, inter)
    g_gu, g_down = torch.randn_like(gate_up0), torch.randn_like(down0)
    gate_up, down = gate_up0.clone().requires_grad_(), down0.clone().requires_grad_()
    gate_up.grad, down.grad = g_gu, g_down
    lr = 0.01
    MuonClip(
        [{"params": [gate_up], "kind": "muon", "split": 2}, {"params": [down], "kind": "muon"}],
        lr=lr,
        weight_decay=0.0,
        momentum=0.0,
        nesterov=False,
    ).step()
    for e in range(experts):
        for half in range(2):
            rows = slice(half * inter, (half + 1) * inter)
            expected = gate_up0[e, rows] - lr * 0.2 * math.sqrt(hidden) * newton_schulz(g_gu[e, rows]).float()
            assert torch.allclose(gate_up.detach()[e, rows], expected, atol=1e-6)
        expected = down0[e] - lr * 0.2 * math.sqrt(hidden) * newton_schulz(g_down[e]).float()
        assert torch.allclose(down.detach()[e], expected, atol=1e-6)


def test_adamw_groups_match_torch_adamw() -> None:
    torch.manual_seed(4)
    start = [torch.randn(30), torch.randn(20, 8)]
    ours = [t.clone().requires_grad_() for t in start]
    ref = [t.clone().requires_grad_() for t in start]
    opt = MuonClip(
        [{"params": ours, "kind": "adamw"}], lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95), eps=1e-8
    )
    torch_opt = torch.optim.AdamW(ref, lr=1e-2, weight_decay=0.1, betas=(0.9, 0.95), eps=1e-8)
    for _ in range(4):
        for a, b in zip(ours, ref, strict=True):
            g = torch.randn_like(a)
            a.grad, b.grad = g.clone(), g.clone()
        opt.step()
        torch_opt.step()
    for a, b in zip(ours, ref, strict=True):
        assert torch.equal(a, b)


def test_every_parameter_is_in_exactly_one_group_by_the_k2_rule() -> None:
    model = DeepseekV3ForCausalLM(k2_tiny())
    groups = k2_param_groups(model)
    names = {id(p): n for n, p in model.named_parameters()}
    placed = [names[id(p)] for g in groups for p in g["params"]]
    assert sorted(placed) == sorted(names.values())
    by_kind = {(g["kind"], g["split"]): {names[id(p)] for p in g["params"]} for g in groups}
    adamw = by_kind[("adamw", 1)]
    assert "model.embed_tokens.weight" in adamw and "lm_head.weight" in adamw
    assert all(
        n.endswith(("norm.weight", "layernorm.weight"))
        for n in adamw - {"model.embed_tokens.weight", "lm_head.weight"}
    )
    assert by_kind[("muon", 2)] == {n for n in names.values() if n.endswith("experts.gate_up_proj")}
    muon = by_kind[("muon", 1)]
    assert {
        n for n in names.values() if n.endswith(("experts.down_proj", "q_b_proj.weight", "mlp.gate.weight"))
    } <= muon
    MuonClip(groups)  # accepted as is


def test_a_parameter_without_a_rule_is_refused() -> None:
    model = torch.nn.Module()
    model.odd = torch.nn.Parameter(torch.zeros(2, 2, 2, 2))
    with pytest.raises(ValueError, match="no optimizer rule for parameter odd"):
        k2_param_groups(model)
