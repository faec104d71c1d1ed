"""What to export and which trajectories make it in."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Format = Literal["openai", "sharegpt", "parquet", "k2"]
ALL_FORMATS: tuple[Format, ...] = ("openai", "sharegpt", "parquet", "k2")


class ExportFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted_only: bool = True
    min_score: float = Field(default=0.0, ge=0, le=1)
    domains: list[str] | None = Field(default=None, description="keep only these domains (None: all)")
    exclude_domains: list[str] = Field(
        default_factory=list, description="drop these domains (held out for `toolforge eval`)"
    )
    task_sources: list[str] | None = Field(
        default=None, description='task sources, e.g. "blueprint" (None: all)'
    )
    tool_sources: list[str] | None = Field(
        default=None,
        description='keep a trajectory when one of its tools comes from these, e.g. "mcp" (None: all)',
    )


class CardConfig(BaseModel):
    """The dataset card's Hugging Face metadata."""

    model_config = ConfigDict(extra="forbid")

    # The data is made by the configured models: check their terms before sharing, and choose.
    license: str = Field(
        default="cc-by-4.0", description="an SPDX-style Hub license id, e.g. apache-2.0, mit, other"
    )
    language: list[str] = Field(default_factory=lambda: ["en"], description="ISO 639-1 codes")
    pretty_name: str | None = Field(
        default=None, description="the title on the Hub (default: the dataset's name)"
    )


class ExportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[Format] = Field(default_factory=lambda: list(ALL_FORMATS))
    filter: ExportFilter = Field(default_factory=ExportFilter)
    name: str = Field(default="toolforge-dataset", description="the dataset's name in its card")
    card: CardConfig = Field(default_factory=CardConfig)
