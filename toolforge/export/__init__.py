"""Dataset export: judged trajectories → training files and a dataset card.

Formats (`ExportConfig.formats`):

- `openai`   — `openai.jsonl`: `{"id", "messages", "tools", "metadata"}` per line, messages in the
  OpenAI chat format with `tool_calls` and the `tool` role (what TRL, LLaMA-Factory's OpenAI
  format and OpenAI fine-tuning read; the trainer reads exactly this);
- `sharegpt` — `sharegpt.jsonl`: LLaMA-Factory's ShareGPT with `function_call` / `observation` turns;
- `parquet`  — `data/train.parquet`: the OpenAI messages as typed columns, `tools` as JSON text,
  metadata as flat columns; `datasets.load_dataset(<export dir>)` opens it;
- `k2`       — `k2.jsonl`: `{"id", "text"}`, the conversation in Kimi K2's chat template
  (`toolforge.core.k2_chat.render_k2`).

Every export writes `README.md` (the dataset card: Hub metadata from `ExportConfig.card`, a sample
row, PNG figures under `figures/`) and `stats.json` beside the files; the card's `## Audit` section
holds `judges.audit`'s figures over the exported rows (`toolforge audit` redoes it). The card's
`datasets` configs are all Parquet (`data/train.parquet`, `data/sharegpt/train.parquet`,
`data/k2/train.parquet`): `datasets` reads every config of a folder with the first one's reader.
`toolforge.export.hub.push_to_hub` publishes the folder.
"""

from toolforge.export.config import ExportConfig, ExportFilter
from toolforge.export.exporter import ExportResult, export_batches, export_records, export_store
from toolforge.export.read import ExportedConversation, read_openai_jsonl
from toolforge.export.records import ExportRecord, load_records, record_batches

__all__ = [
    "ExportConfig",
    "ExportFilter",
    "ExportRecord",
    "ExportResult",
    "ExportedConversation",
    "export_batches",
    "export_records",
    "export_store",
    "load_records",
    "read_openai_jsonl",
    "record_batches",
]
