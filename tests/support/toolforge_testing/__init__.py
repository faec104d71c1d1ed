"""Fixtures that tests, benches and CI scripts share; not part of the product, never in the wheel.

On the import path through pytest's `pythonpath` (pyproject.toml) and a `sys.path` line in each
bench that uses it:

- `llm_server`: the loopback OpenAI-compatible server with scripted replies and injected faults;
- `synthesis_fake`: scripted tool-synthesis replies for that server;
- `planted_tools`: the planted near-duplicate tool set that measures dedup quality;
- `ray_cluster`: a Ray cluster of several nodes on this one machine;
- `tiny_llama`: a tiny random Llama checkpoint made offline;
- `sample_trajectories`: synthetic trajectories in the exporter's JSONL format;
- `example_tools`: the example MCP servers' tools, harvested in process.
"""
