"""The viewer page: one self-contained HTML file (styles, script and data inline; no network)."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import resources

from toolforge.viewer.rows import ViewData


def _asset(name: str) -> str:
    return resources.files("toolforge.viewer").joinpath("assets", name).read_text(encoding="utf-8")


def render_page(data: ViewData) -> str:
    # `</` inside the JSON would close the script element early; `<\/` is the same JSON string.
    payload = json.dumps(asdict(data), ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    # Each marker once, the data last: text inside the data is never taken for a marker.
    page = _asset("viewer.html").replace("/*CSS*/", _asset("viewer.css"), 1)
    page = page.replace("/*JS*/", _asset("viewer.js"), 1)
    return page.replace("/*DATA*/", payload, 1)
