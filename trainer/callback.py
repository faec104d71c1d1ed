"""The training callback: QK-Clip and the routing-bias update after every optimizer step, and the
numbers to log (max logit per layer, share of heads clipped, expert load, tokens/s)."""

from __future__ import annotations

import time
from typing import Any

from torch import nn
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from trainer.qk_clip import qk_clip_
from trainer.routing import ExpertLoadTracker

__all__ = ["MuonClipCallback"]


class MuonClipCallback(TrainerCallback):
    """Runs `qk_clip_(model, tau)` and `tracker.update_bias_()` right after each optimizer step.

    Logged values are aggregated over the steps since the last log: maxima for max logits and load
    violations, the mean for the share of clipped heads.
    """

    def __init__(self, tracker: ExpertLoadTracker, tau: float) -> None:
        self.tracker = tracker
        self.tau = tau
        self._pending: list[dict[str, float]] = []
        self._mark: tuple[float, int] | None = None

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._mark = (time.perf_counter(), state.num_input_tokens_seen)

    def on_optimizer_step(
        self,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        model: nn.Module | None = None,
        **kwargs: Any,
    ) -> None:
        assert model is not None
        logs: dict[str, float] = {}
        clip = qk_clip_(model, self.tau)
        if clip is not None:
            logs.update(clip.as_logs())
        load = self.tracker.update_bias_()
        if load is not None:
            logs.update(load.as_logs())
        self._pending.append(logs)

    def flush_logs(self, state: TrainerState) -> dict[str, float]:
        """The aggregated numbers since the last flush, plus tokens/s over that window."""
        out: dict[str, float] = {}
        for key in {k for logs in self._pending for k in logs}:
            values = [logs[key] for logs in self._pending if key in logs]
            out[key] = sum(values) / len(values) if key == "qk/clipped_head_share" else max(values)
        self._pending.clear()
        now, tokens = time.perf_counter(), state.num_input_tokens_seen
        if self._mark is not None and now > self._mark[0]:
            out["tokens_per_s"] = (tokens - self._mark[1]) / (now - self._mark[0])
        self._mark = (now, tokens)
        return out
