"""What of a rejected tool is stored: everything, except text too long to keep.

A description over the limit is the reason for the rejection; storing a megabyte of it in the row
(and again in the wire form) helps nobody reading the reason. The row keeps an excerpt, the
original length and a digest of the whole, so the rejection can still be traced to its source.
"""

from __future__ import annotations

import hashlib

from toolforge.core.types import ToolSpec

EXCERPT_CHARS = 512


def stored_form(tool: ToolSpec, max_description: int) -> ToolSpec:
    """`tool` as it is stored: an over-long description cut to an excerpt (here and in `raw`)."""
    text = tool.description
    if len(text) <= max_description:
        return tool
    full = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    excerpt = f"{text[:EXCERPT_CHARS]}… [cut: {len(text)} characters, sha256 {full}]"
    provenance = {**tool.provenance, "description_cut": {"length": len(text), "sha256": full}}
    raw = tool.raw
    if raw is not None and isinstance(raw.get("description"), str):
        raw = {**raw, "description": excerpt}
    return tool.model_copy(update={"description": excerpt, "raw": raw, "provenance": provenance})
