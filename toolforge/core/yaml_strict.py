"""YAML read strictly: a key given twice in one mapping is an error naming both lines (PyYAML
keeps the last silently, so a duplicated section would replace the first without a word)."""

from __future__ import annotations

from typing import Any

import yaml

from toolforge.core.errors import ConfigError


class _StrictLoader(yaml.SafeLoader):
    pass


def _mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                f"{node.start_mark.name}: key {key!r} appears twice in one mapping (line {seen[key]} and "
                f"line {line}); the second would silently replace the first: keep one"
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_yaml(text: str, source: str = "<yaml>") -> Any:
    """`yaml.safe_load`, refusing duplicate keys; `source` names the file in errors."""
    loader = _StrictLoader(text)
    loader.name = source
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
