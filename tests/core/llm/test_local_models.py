"""Any local GGUF model offline: `local/PATH.gguf` or `local/NAME` (NAME.gguf in the models folder),
served by the same llama.cpp runtime as the bundled SmolLM2; bad paths name the path and the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from toolforge.commands.llm import PROMPT, Probe
from toolforge.core import aio
from toolforge.core.errors import ConfigError
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.llm.local import MODELS_DIR_ENV, gguf_path, local_gguf, served_name


def test_a_missing_file_names_the_path_and_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(
        ConfigError, match=rf"the GGUF file {missing} does not exist: give the path of a \.gguf file"
    ):
        local_gguf(f"local/{missing}")


def test_a_file_that_is_not_gguf_is_refused_by_its_magic_bytes(tmp_path: Path) -> None:
    fake = tmp_path / "weights.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    with pytest.raises(ConfigError, match=rf"{fake} is not a GGUF file.*convert_hf_to_gguf"):
        local_gguf(f"local/{fake}")


def test_a_name_is_looked_up_in_the_models_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    with pytest.raises(ConfigError, match=rf"put tiny\.gguf in {tmp_path} \(or set {MODELS_DIR_ENV}\)"):
        local_gguf("local/tiny")
    (tmp_path / "tiny.gguf").write_bytes(b"GGUF" + b"\x00" * 16)
    assert local_gguf("local/tiny") == str((tmp_path / "tiny.gguf").resolve())
    assert local_gguf("local/smollm2") == gguf_path()
    assert served_name(f"local/{tmp_path}/tiny.gguf") == "tiny"


@pytest.mark.local_model
def test_a_gguf_file_by_path_answers_through_the_client(tmp_path: Path) -> None:
    # A copy of the bundled weights under another path: its own server, started from that file.
    model_file = tmp_path / "my-model.gguf"
    shutil.copyfile(gguf_path(), model_file)
    cfg = LLMConfig(model=f"local/{model_file}", max_tokens=200, timeout_s=600, max_retries=1)

    async def call() -> Probe:
        async with LLMClient() as client:
            return await client.structured(cfg, [{"role": "user", "content": PROMPT}], Probe, role="test")

    reply = aio.run(call())
    assert 0.0 <= reply.confidence <= 1.0 and reply.colour
