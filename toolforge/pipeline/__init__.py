"""The pipeline: the stages wired together, resumable by config fingerprint (`toolforge generate`)."""

from toolforge.pipeline.config import PipelineConfig, ToolsConfig
from toolforge.pipeline.loader import load_config, parse_config
from toolforge.pipeline.run import PipelineResult, run_pipeline

__all__ = ["PipelineConfig", "PipelineResult", "ToolsConfig", "load_config", "parse_config", "run_pipeline"]
