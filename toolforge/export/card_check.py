"""Check a dataset folder's card before it is shared: every config it declares has files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CARD = "README.md"


def front_matter(card: Path) -> dict[str, Any]:
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    if end < 0:
        raise ValueError(
            f"{card}: the front matter opened by `---` is never closed: end it with a `---` line"
        )
    meta = yaml.safe_load(text[4:end]) or {}
    if not isinstance(meta, dict):
        raise ValueError(f"{card}: the front matter is not a YAML mapping")
    return meta


def _patterns(data_files: Any) -> list[str]:
    if isinstance(data_files, str):
        return [data_files]
    out: list[str] = []
    for entry in data_files or []:
        if isinstance(entry, str):
            out.append(entry)
        else:
            path = entry.get("path", [])
            out += [path] if isinstance(path, str) else list(path)
    return out


def check_card_configs(folder: Path) -> list[str]:
    """The config names the card in `folder` declares; ValueError naming the config, its pattern
    and the fix when one matches no file (so `load_dataset(folder, name)` would fail)."""
    card = folder / CARD
    if not card.is_file():
        raise ValueError(f"{folder} has no {CARD}: export into it first (`toolforge export --out {folder}`)")
    names = []
    for config in front_matter(card).get("configs", []):
        name = config.get("config_name", "default")
        patterns = _patterns(config.get("data_files"))
        if not patterns:
            raise ValueError(
                f"{card}: config {name!r} lists no data_files: add its files or remove the config"
            )
        for pattern in patterns:
            if not any(p.is_file() for p in folder.glob(pattern)):
                raise ValueError(
                    f"{card}: config {name!r} declares {pattern!r} but no file in {folder} matches it: "
                    f"re-run `toolforge export --out {folder}` or remove the config from the card"
                )
        names.append(name)
    return names
