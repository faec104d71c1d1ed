"""Which folder holds a dataset: the one given, or the one run folder inside it.

`toolforge generate` writes `<workspace>/dataset/<run name>/`, so users point commands at
`dataset/` as often as at the run's own folder; commands that read an export resolve it here.
"""

from __future__ import annotations

from pathlib import Path

DATASET_FILE = "openai.jsonl"


def find_dataset(folder: Path) -> Path | None:
    """`folder` when it holds `openai.jsonl`, else its single subfolder that does; None when none
    does. ValueError naming them when several subfolders do (the caller cannot choose)."""
    if (folder / DATASET_FILE).is_file():
        return folder
    if not folder.is_dir():
        return None
    inside = sorted(p for p in folder.iterdir() if (p / DATASET_FILE).is_file())
    if len(inside) > 1:
        raise ValueError(
            f"{folder} holds several datasets ({', '.join(p.name for p in inside)}): pass one of "
            f"them, e.g. {inside[0]}"
        )
    return inside[0] if inside else None
