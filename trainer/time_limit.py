"""A wall-clock bound on training: stop after the step during which the limit was reached."""

from __future__ import annotations

import time
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

__all__ = ["TimeLimit"]


class TimeLimit(TrainerCallback):
    """Ends training (the final model is still saved) once `seconds` have passed since it began."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._start: float | None = None

    def on_train_begin(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        self._start = time.monotonic()

    def on_step_end(
        self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs: Any
    ) -> None:
        if self._start is not None and time.monotonic() - self._start >= self.seconds:
            control.should_training_stop = True
