"""SFT of the Kimi K2 MoE architecture on exported tool-use trajectories, with MuonClip.

Modules: `presets` (model configs), `tokenizer` + `chat_template.jinja`, `data` (JSONL → masked
token ids), `muon` (the optimizer), `qk_clip` (max-logit capture and clipping), `routing`
(aux-loss-free bias update), `callback`, `sft` (the TRL loop), `flops` (param counts, MFU).
"""
