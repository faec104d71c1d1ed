"""Dedup: exact fingerprints and near-duplicates with the packaged all-MiniLM-L6-v2, linked not deleted;
quality on the planted paraphrase set; embedding-based graph edges."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from toolforge.core.store import Store
from toolforge.core.types import ToolSpec
from toolforge.tools.dedup import apply, dedup, near_pairs
from toolforge.tools.embed import MiniLMEmbedder
from toolforge.tools.graph import ToolGraph
from toolforge.tools.library import admit, load_tools
from toolforge_testing.planted_tools import planted_set, score


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MiniLMEmbedder]:
    torch.set_num_threads(1)
    yield MiniLMEmbedder(tmp_path_factory.mktemp("emb") / "vectors.npz")


def tool(name: str, description: str, origin: str = "a", props: tuple[str, ...] = ("x",)) -> ToolSpec:
    schema = {"type": "object", "properties": {p: {"type": "string"} for p in props}}
    return ToolSpec(name=name, description=description, input_schema=schema, source="catalog", origin=origin)


def test_planted_paraphrases_are_found_without_false_merges(embedder: MiniLMEmbedder) -> None:
    planted = planted_set(seed=0)
    result = dedup(planted.tools, embedder)
    quality = score(result, planted)
    assert quality["planted"] > 100 and quality["distinct"] == 400
    assert quality["recall"] >= 0.95, quality
    assert quality["false_merge_rate"] <= 0.01, quality


def test_exact_and_near_duplicates_are_linked_in_the_store(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    store = Store(str(tmp_path / "t.db"))
    a = tool("get_weather", "Get the current weather for a city.", origin="one", props=("city",))
    a_copy = tool("get_weather", "Get the current weather for a city.", origin="two", props=("city",))
    near = tool(
        "fetch_weather", "Fetches the current weather for a given city.", origin="three", props=("city",)
    )
    other = tool(
        "get_stock_price", "Get the latest price of a stock ticker.", origin="one", props=("ticker",)
    )
    admit(store, [a, a_copy, near, other])
    tools = load_tools(store)
    result = dedup(tools, embedder)
    kept = a if a.id < a_copy.id else a_copy
    assert result.exact == {(a_copy if kept is a else a).id: kept.id}
    assert result.near[near.id][0] == kept.id and result.near[near.id][1] >= 0.8
    assert apply(store, tools, result) == 2
    rows = {r.id: r for r in store.tool_rows()}
    assert rows[near.id].status == "duplicate" and rows[near.id].duplicate_of == kept.id
    assert rows[other.id].status == "ok" and len(rows) == 4  # nothing deleted
    assert apply(store, load_tools(store, status=None), dedup(load_tools(store, status=None), embedder)) == 0


def test_blockwise_pairs_equal_the_full_matrix() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=(300, 16)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    full = v @ v.T
    want = [{j for j in range(i) if full[i, j] >= 0.5} for i in range(300)]
    got = [{j for j, _ in row} for row in near_pairs(v, 0.5, block=37)]
    assert got == want


def test_vectors_are_cached_by_text(tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    cache = tmp_path / "c.npz"
    first = MiniLMEmbedder(cache)
    first._model = embedder.model  # share the loaded weights; the cache file is what is tested
    a = first.encode(["alpha tool", "beta tool"])
    second = MiniLMEmbedder(cache)  # a fresh process would load only the file
    b = second.encode(["beta tool", "alpha tool"])
    assert second.misses == 0 and second._model is None
    assert np.allclose(a[::-1], b)


def test_embedding_matches_add_feed_edges(embedder: MiniLMEmbedder) -> None:
    producer = tool("lookup_client", "Find a client.", origin="crm", props=("name",)).model_copy(
        update={"output_schema": {"type": "object", "properties": {"email_address": {"type": "string"}}}}
    )
    consumer = tool("send_invite", "Send an invitation.", origin="mail", props=("user_email",))
    plain = ToolGraph.build([producer, consumer])
    assert plain.feeds(producer, consumer) == []
    embedded = ToolGraph.build([producer, consumer], embedder=embedder)
    assert embedded.feeds(producer, consumer) == [("email_address", "user_email")]
