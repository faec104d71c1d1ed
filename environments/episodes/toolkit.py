"""Python toolkits: typed methods over a pydantic world state, for hand-built domains.

A toolkit subclasses `Toolkit`, names its `World` model (whose fields are collections
`{id: record}`) and marks methods with `@tool`. The input schema comes from the signature, the
descriptions from the Google-style docstring (`Args:` lines), the output schema from the return
annotation. A method raises `ToolFailure` (or `ValueError`/`KeyError`) for a failure the agent
should see; the world is written back into the episode state after every call.

    class Shop(Toolkit):
        name = "shop"
        World = ShopWorld

        @tool(read_only=True)
        def get_order(self, order_id: str) -> Order:
            \"\"\"Look up an order.

            Args:
                order_id: The order's id, such as 'order_0001'.
            \"\"\"
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from environments.episodes.executors.base import CallContext, ToolResult
from environments.episodes.state import State
from toolforge.core.types import ToolAnnotations, ToolSpec


class ToolFailure(Exception):
    """Raised inside a toolkit method: the call fails and the agent sees the message."""


def tool(
    fn: Callable[..., Any] | None = None, *, read_only: bool | None = None, destructive: bool | None = None
) -> Any:
    def mark(f: Callable[..., Any]) -> Callable[..., Any]:
        f.__toolkit_tool__ = ToolAnnotations(  # pyright: ignore[reportFunctionMemberAccess]  # the mark lives on the function, which checkers do not model
            read_only=read_only, destructive=destructive if not read_only else False
        )
        return f

    return mark(fn) if fn is not None else mark


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {arg: description}) from a Google-style docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    desc: list[str] = []
    args: dict[str, str] = {}
    section = ""
    current = ""
    for line in lines:
        header = re.fullmatch(r"(Args|Arguments|Returns|Raises|Yields|Examples?|Notes?):\s*", line.strip())
        if header and not line.startswith(" "):
            section, current = header.group(1), ""
            continue
        if not section:
            desc.append(line)
        elif section in ("Args", "Arguments"):
            m = re.match(r"^\s{2,}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
            if m and (not current or len(line) - len(line.lstrip()) <= 4):
                current = m.group(1)
                args[current] = m.group(2).strip()
            elif current and line.strip():
                args[current] = (args[current] + " " + line.strip()).strip()
    return " ".join(" ".join(desc).split()), args


def _strip_titles(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            k: _strip_titles(v)
            for k, v in schema.items()
            if not (
                k == "title" and isinstance(v, str)
            )  # pydantic's titles; a property named "title" is a dict
        }
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def _spec_of(toolkit: type[Toolkit], name: str, fn: Callable[..., Any]) -> ToolSpec:
    description, arg_docs = parse_docstring(fn.__doc__)
    hints = get_type_hints(fn)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(fn).parameters.items():
        if pname == "self":
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints.get(pname, Any), Field(default, description=arg_docs.get(pname)))
    model = create_model(f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields)
    input_schema = _strip_titles(model.model_json_schema())
    input_schema.setdefault("properties", {})
    returns = hints.get("return")
    output_schema = (
        _strip_titles(TypeAdapter(returns).json_schema()) if returns not in (None, type(None)) else None
    )
    return ToolSpec(
        name=name,
        description=description,
        input_schema=input_schema,
        output_schema=output_schema,
        annotations=fn.__toolkit_tool__,  # pyright: ignore[reportFunctionMemberAccess]  # set by @tool above
        source="python",
        origin=f"toolkit:{toolkit.name}",
        domain=toolkit.domain or toolkit.name,
    )


class Toolkit:
    name: ClassVar[str] = ""
    domain: ClassVar[str] = ""
    World: ClassVar[type[BaseModel]]

    def __init__(self, world: BaseModel) -> None:
        self.world = world

    @classmethod
    def methods(cls) -> dict[str, Callable[..., Any]]:
        return {
            name: fn
            for name, fn in inspect.getmembers(cls, inspect.isfunction)
            if getattr(fn, "__toolkit_tool__", None) is not None
        }

    @classmethod
    def specs(cls) -> list[ToolSpec]:
        return [_spec_of(cls, name, fn) for name, fn in sorted(cls.methods().items())]

    @classmethod
    def initial_state(cls) -> State:
        """The default world (the World model's defaults), as plain JSON."""
        return cls.World().model_dump(mode="json")


class ToolkitExecutor:
    """Runs toolkit tools on the episode state; one world object per episode, synced after calls."""

    kind = "python"

    def __init__(self, toolkits: list[type[Toolkit]]) -> None:
        self.by_tool: dict[str, type[Toolkit]] = {}
        self._adapters: dict[str, TypeAdapter[Any] | None] = {}
        for kit in toolkits:
            for name, fn in kit.methods().items():
                if name in self.by_tool:
                    raise ValueError(f"tool {name!r} is defined by two toolkits; rename one")
                self.by_tool[name] = kit
                ret = get_type_hints(fn).get("return")
                self._adapters[name] = TypeAdapter(ret) if ret not in (None, type(None)) else None

    async def execute(self, tool_spec: ToolSpec, arguments: dict[str, Any], ctx: CallContext) -> ToolResult:
        return self.run(tool_spec.name, arguments, ctx.state)

    def run(self, name: str, arguments: dict[str, Any], state: State) -> ToolResult:
        kit = self.by_tool[name]
        fields = kit.World.model_fields
        world = kit.World.model_validate({k: v for k, v in state.items() if k in fields})
        try:
            value = getattr(kit(world), name)(**arguments)
        except (ToolFailure, ValueError, KeyError) as exc:
            message = exc.args[0] if exc.args else type(exc).__name__
            return ToolResult.error(str(message))
        state.update(world.model_dump(mode="json"))
        adapter = self._adapters[name]
        return ToolResult.data(adapter.dump_python(value, mode="json") if adapter else {"status": "ok"})


def load_toolkit(ref: str) -> type[Toolkit]:
    """A toolkit class from `path/to/file.py:ClassName` or `package.module:ClassName`."""
    where, _, attr = ref.partition(":")
    if not attr:
        raise ValueError(f"toolkit reference {ref!r} must look like 'file.py:Class' or 'module:Class'")
    if where.endswith(".py"):
        path = Path(where).resolve()
        if not path.exists():
            raise ValueError(f"toolkit file {where} does not exist")
        mod_name = f"toolkit_{path.stem}_{abs(hash(str(path)))}"
        module = sys.modules.get(mod_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(mod_name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    kit = getattr(module, attr, None)
    if not (isinstance(kit, type) and issubclass(kit, Toolkit)):
        raise ValueError(f"{ref} is not a Toolkit subclass")
    return kit
