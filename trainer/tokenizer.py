"""The tokenizer: a local K2 tokenizer directory when given, else a byte-level BPE trained offline.

Either way it carries K2's special tokens as single tokens and the K2 chat template with
generation markers (`chat_template.jinja`, same bytes as `toolforge.core.k2_chat.render_k2`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerBase, PreTrainedTokenizerFast

from toolforge.core.k2_chat import K2_SPECIAL_TOKENS

__all__ = [
    "PAD_TOKEN",
    "SPECIAL_TOKENS",
    "k2_chat_template",
    "load_tokenizer",
    "special_ids",
    "train_bpe_tokenizer",
]

PAD_TOKEN = "[PAD]"
SPECIAL_TOKENS: tuple[str, ...] = (*K2_SPECIAL_TOKENS, PAD_TOKEN)
_SPECIAL_RE = re.compile("|".join(re.escape(t) for t in SPECIAL_TOKENS))


def k2_chat_template() -> str:
    return Path(__file__).with_name("chat_template.jinja").read_text(encoding="utf-8")


def _plain_pieces(texts: Iterable[str]) -> Iterator[str]:
    """The text between special tokens, so BPE merges never learn pieces of them."""
    for text in texts:
        yield from (piece for piece in _SPECIAL_RE.split(text) if piece)


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int = 2048) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on rendered K2 texts; special tokens get ids 0…12 in K2's order.

    `<|im_end|>` is the end-of-sequence token: it closes every turn, and generation stops there.
    """
    if vocab_size < 256 + len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be at least {256 + len(SPECIAL_TOKENS)} (bytes + special tokens)")
    bpe = Tokenizer(models.BPE(unk_token=None))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_plain_pieces(texts), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="[BOS]", eos_token="<|im_end|>", pad_token=PAD_TOKEN
    )
    tokenizer.chat_template = k2_chat_template()
    return tokenizer


def load_tokenizer(path: Path) -> PreTrainedTokenizerBase:
    """Load a tokenizer directory (K2's own, or one saved by a previous run) and set the K2 template.

    K2's published tokenizer is tiktoken-based remote code, hence `trust_remote_code=True`: only
    pass directories you trust.
    """
    if not (path / "tokenizer_config.json").is_file():
        raise ValueError(f"{path} is not a tokenizer directory (no tokenizer_config.json)")
    tokenizer = AutoTokenizer.from_pretrained(str(path), trust_remote_code=True)
    for token in K2_SPECIAL_TOKENS[2:]:  # [BOS]/[EOS] are never rendered by the template
        ids = tokenizer.encode(token, add_special_tokens=False)
        if len(ids) != 1:
            raise ValueError(f"tokenizer at {path} does not have K2's special token {token} as one token")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.chat_template = k2_chat_template()
    return tokenizer


def special_ids(tokenizer: PreTrainedTokenizerBase) -> tuple[int | None, int | None, int | None]:
    """(bos, eos, pad) token ids, for a model config: transformers types each as an id, a token or
    a list of them, and a model config takes one id or None."""
    return _one_id(tokenizer.bos_token_id), _one_id(tokenizer.eos_token_id), _one_id(tokenizer.pad_token_id)


def _one_id(value: object) -> int | None:
    if value is None or isinstance(value, int):
        return value
    raise ValueError(f"a special token id must be one int, got {value!r}")
