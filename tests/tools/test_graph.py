"""The tool graph over the example servers' 36 tools: feed edges, sampling, determinism."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx

from toolforge.core.types import ToolSpec
from toolforge.tools.graph import ToolGraph

REPO = Path(__file__).resolve().parents[2]


def by_name(tools: list[ToolSpec], name: str) -> ToolSpec:
    return next(t for t in tools if t.name == name)


def test_output_fields_feed_parameters_by_name_type_and_entity(example_tools: list[ToolSpec]) -> None:
    g = ToolGraph.build(example_tools)
    # an `id` field is known by its entity: events[].id of list_events → event_id
    assert ("events[].id", "event_id") in g.feeds(
        by_name(example_tools, "list_events"), by_name(example_tools, "cancel_event")
    )
    assert ("id", "order_id") in g.feeds(
        by_name(example_tools, "place_order"), by_name(example_tools, "request_refund")
    )
    assert ("files[].path", "path") in g.feeds(
        by_name(example_tools, "list_files"), by_name(example_tools, "read_file")
    )
    # a tool that returns no order id cannot feed one
    assert g.feeds(by_name(example_tools, "list_notes"), by_name(example_tools, "get_order")) == []
    stats = g.stats()
    assert stats["tools"] == 36 and stats["groups"] == 3
    assert stats["feed_edges"] > 50 and stats["domain_edges"] > 0 and stats["isolated"] == 0


def test_toolsets_are_connected_sized_unique_and_deterministic(example_tools: list[ToolSpec]) -> None:
    g = ToolGraph.build(example_tools)
    rebuilt = ToolGraph.build(list(reversed(example_tools)))
    for seed in range(20):
        ts = g.sample_toolset(seed, 3, 7)
        assert 3 <= len(ts) <= 7
        assert len({t.name for t in ts}) == len(ts)
        assert g.graph.subgraph([t.id for t in ts]).to_undirected().number_of_edges() >= len(ts) - 1
        assert nx.is_connected(g.graph.subgraph([t.id for t in ts]).to_undirected())
        assert [t.id for t in rebuilt.sample_toolset(seed, 3, 7)] == [t.id for t in ts]
    assert len({tuple(t.id for t in g.sample_toolset(s, 3, 7)) for s in range(20)}) > 10


def test_chains_follow_feed_edges_and_repeat_with_the_seed(example_tools: list[ToolSpec]) -> None:
    g = ToolGraph.build(example_tools)
    shop_tools = [t for t in example_tools if t.origin == "shop"]
    for seed in range(10):
        chain = g.sample_chain(shop_tools, 4, seed)
        assert len(chain) == 4 and len({t.id for t in chain}) == 4
        for a, b in zip(chain, chain[1:], strict=False):
            assert g.feeds(a, b), (a.name, b.name)
        assert [t.id for t in g.sample_chain(shop_tools, 4, seed)] == [t.id for t in chain]
    # no feed edges among unrelated tools → a single tool, never an invented link
    lonely = [by_name(example_tools, "list_calendars"), by_name(example_tools, "get_refund")]
    assert len(g.sample_chain(lonely, 3, 0)) == 1


def test_sampling_is_identical_across_processes(example_tools: list[ToolSpec]) -> None:
    code = (
        "import asyncio,sys; sys.path[:0] = ['.', 'tests/support'];"
        "from toolforge_testing.example_tools import example_server_tools;"
        "from toolforge.tools.graph import ToolGraph;"
        "g = ToolGraph.build(asyncio.run(example_server_tools('mcp')));"
        "print(','.join(t.id for t in g.sample_toolset(7, 4, 9)));"
        "print(','.join(t.id for t in g.sample_chain(list(g.tools.values()), 5, 7)))"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": str(h), "PATH": "/usr/bin:/bin"},
        ).stdout
        for h in (1, 2)
    ]
    g = ToolGraph.build(example_tools)
    here = (
        ",".join(t.id for t in g.sample_toolset(7, 4, 9))
        + "\n"
        + ",".join(t.id for t in g.sample_chain(list(g.tools.values()), 5, 7))
        + "\n"
    )
    assert runs[0] == runs[1] == here


def test_impossible_sizes_name_the_fix(example_tools: list[ToolSpec]) -> None:
    g = ToolGraph.build(example_tools[:2])
    try:
        g.sample_toolset(0, 5, 6)
    except ValueError as exc:
        assert "lower min_size" in str(exc)
    else:
        raise AssertionError("expected ValueError")


def test_a_toolset_stays_in_one_domain_while_it_has_tools_left(example_tools: list[ToolSpec]) -> None:
    g = ToolGraph.build(example_tools)
    for seed in range(30):
        ts = g.sample_toolset(seed, 3, 7)
        assert len({t.origin for t in ts}) == 1, [(t.origin, t.name) for t in ts]
