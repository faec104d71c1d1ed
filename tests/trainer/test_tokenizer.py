"""The offline BPE tokenizer: K2's special tokens as single tokens, saved and reloaded offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from toolforge.core.k2_chat import K2_SPECIAL_TOKENS
from trainer.tokenizer import SPECIAL_TOKENS, k2_chat_template, load_tokenizer, train_bpe_tokenizer


def test_special_tokens_are_single_tokens_with_fixed_ids(tokenizer: PreTrainedTokenizerFast) -> None:
    assert [tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS] == list(range(len(SPECIAL_TOKENS)))
    text = "<|im_assistant|>assistant<|im_middle|>hi<|tool_calls_section_begin|><|im_end|>"
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.convert_ids_to_tokens(ids[0]) == "<|im_assistant|>"
    assert ids[-2:] == [
        tokenizer.convert_tokens_to_ids(t) for t in ("<|tool_calls_section_begin|>", "<|im_end|>")
    ]
    assert tokenizer.decode(ids) == text
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "[PAD]"


def test_merges_never_contain_pieces_of_special_tokens(tokenizer: PreTrainedTokenizerFast) -> None:
    vocab = tokenizer.get_vocab()
    assert not [t for t in vocab if ("im_" in t or "tool_call" in t) and t not in K2_SPECIAL_TOKENS]


def test_round_trip_through_a_directory(tokenizer: PreTrainedTokenizerFast, tmp_path: Path) -> None:
    tokenizer.save_pretrained(str(tmp_path))
    loaded = load_tokenizer(tmp_path)
    sample = "<|im_user|>user<|im_middle|>Wetter in Köln? 🌧<|im_end|>"
    assert loaded.encode(sample) == tokenizer.encode(sample)
    assert loaded.chat_template == k2_chat_template()


def test_a_tokenizer_without_k2_tokens_is_refused(tmp_path: Path) -> None:
    plain = PreTrainedTokenizerFast(tokenizer_object=train_bpe_tokenizer(["abc"] * 5, 300).backend_tokenizer)
    plain.save_pretrained(str(tmp_path))
    (tmp_path / "tokenizer.json").write_text(
        (tmp_path / "tokenizer.json").read_text().replace('"<|im_end|>"', '"<|xx_end|>"')
    )
    with pytest.raises(ValueError, match="special token <\\|im_end\\|>"):
        load_tokenizer(tmp_path)
    with pytest.raises(ValueError, match="not a tokenizer directory"):
        load_tokenizer(tmp_path / "missing")
