"""Publish an export folder as a Hugging Face dataset repository (`toolforge export --push-to-hub`).

The token is read from a named environment variable at the moment of the push and handed to
huggingface_hub only: it is never written, logged or printed. `HF_ENDPOINT` picks another Hub.
"""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from toolforge.export.card_check import check_card_configs

# What the folder holds for our own use, not for the Hub: the viewer page and write leftovers.
IGNORED = ["*.tmp", "toolforge-view.html"]


def push_to_hub(folder: Path, repo_id: str, token_env: str = "HF_TOKEN", private: bool = False) -> str:
    """Create (or reuse) the dataset repo `repo_id` and upload `folder` in one commit; returns its URL.

    ValueError names the fix: a missing token variable, a card config with no files, a Hub refusal.
    """
    token = os.environ.get(token_env)
    if not token:
        raise ValueError(
            f"no Hub token in ${token_env}: export a write token there (https://huggingface.co/settings/tokens) "
            "or name another variable with --token-env"
        )
    check_card_configs(folder)
    api = HfApi(token=token)
    try:
        repo = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        api.upload_folder(
            folder_path=folder,
            repo_id=repo_id,
            repo_type="dataset",
            commit_message=f"toolforge export of {folder.name}",
            ignore_patterns=IGNORED,
        )
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "no"
        raise ValueError(
            f"the Hub at {api.endpoint} refused the push of {folder} to {repo_id} (HTTP {status}): "
            f"check that ${token_env} holds a write token for that namespace"
        ) from exc
    return str(repo)
