"""Read a pipeline YAML into a `PipelineConfig`, with errors that name the key and the fix."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from toolforge.core.errors import ConfigError
from toolforge.core.yaml_strict import load_yaml
from toolforge.pipeline.config import PipelineConfig


def load_config(path: Path) -> PipelineConfig:
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist; see examples/pipelines/ for examples")
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), source=str(path))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of sections (name, tools, agents, ...)")
    return parse_config(data, source=str(path), base_dir=path.resolve().parent)


def parse_config(
    data: dict[str, Any], source: str = "config", base_dir: Path | None = None
) -> PipelineConfig:
    try:
        cfg = PipelineConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: " + "; ".join(_describe(err) for err in exc.errors()[:5])) from exc
    if base_dir is not None:
        cfg.base_dir = base_dir
    return cfg


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        parent = ".".join(str(p) for p in err["loc"][:-1])
        allowed = _allowed_keys(err["loc"][:-1])
        close = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        hint += f" (allowed here: {', '.join(allowed)})" if allowed else ""
        return f"unknown key '{where}'{' in ' + parent if parent else ''}{hint}"
    if err["type"] == "missing":
        return f"missing key '{where}'"
    return f"{where}: {err['msg']}"


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model at `loc` (best effort through nested models)."""
    model: Any = PipelineConfig
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        model = _model_of(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return sorted(name for name, f in model.model_fields.items() if not f.exclude)
    return []


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
