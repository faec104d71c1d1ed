"""Where the store is: one rule, read the same way by every command and by `toolforge generate`.

The first of these that is set wins:

1. the `--db` flag;
2. the `TOOLFORGE_DB` environment variable;
3. the pipeline config's `db` key (only `toolforge generate` has a config);
4. the default: a SQLite file in the workspace (`toolforge-data/toolforge.db`, or
   `<workspace>/toolforge.db` for a pipeline).

The environment beats the config so that one config runs unchanged on a laptop (SQLite) and on
a cluster whose machines all set `TOOLFORGE_DB=postgresql://…`.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_ENV = "TOOLFORGE_DB"
DEFAULT_PATH = Path("toolforge-data") / "toolforge.db"


def resolve_store_url(flag: str | None = None, config: str | None = None, default: str | None = None) -> str:
    """The store URL by the order above; `default` replaces the workspace file when given."""
    for value in (flag, os.environ.get(DB_ENV), config):
        if value:
            return value
    return default or f"sqlite:///{DEFAULT_PATH}"


def store_source(flag: str | None = None, config: str | None = None) -> str:
    """Which of the four places the URL came from, for summaries and error messages."""
    if flag:
        return "--db"
    if os.environ.get(DB_ENV):
        return DB_ENV
    return "config db" if config else "workspace default"
