"""A small judged store for export tests: two domains, parallel calls, a tool error, rejects."""

from __future__ import annotations

import json
from typing import Any

from toolforge.core.store import Store
from toolforge.core.types import (
    Agent,
    CheckResult,
    Message,
    Rubric,
    Task,
    ToolCall,
    ToolSpec,
    Trajectory,
    UserGoal,
    Verdict,
)

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather for a city.",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
        "required": ["city"],
    },
    source="mcp",
    origin="weather-server",
)
FORECAST = ToolSpec(
    name="get_forecast",
    description="Forecast for some days.",
    input_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
        "required": ["city", "days"],
    },
    source="mcp",
    origin="weather-server",
)
BOOK = ToolSpec(
    name="book_room",
    description="Book a meeting room.",
    input_schema={
        "type": "object",
        "properties": {"room": {"type": "string"}, "hour": {"type": "integer", "minimum": 0, "maximum": 23}},
        "required": ["room", "hour"],
    },
    source="synthetic",
    origin="office/rooms",
)


def _agent(domain: str, tools: list[ToolSpec]) -> Agent:
    return Agent(
        name=f"{domain} helper",
        system_prompt=f"You are the {domain} helper.",
        tool_ids=[t.id for t in tools],
        tool_names=[t.name for t in tools],
        domain=domain,
    )


def _task(agent: Agent, goal: str, seed: int, difficulty: str = "multi_call") -> Task:
    return Task(
        agent_id=agent.id,
        user_goal=UserGoal(description=goal),
        difficulty=difficulty,  # type: ignore[arg-type]
        rubric=Rubric(success_criteria=[goal]),
        domain=agent.domain,
        seed=seed,
    )


def _call(call_id: str, name: str, **args: Any) -> ToolCall:
    return ToolCall.make(call_id, name, args)


def _tool(call_id: str, value: Any, error: bool = False) -> Message:
    return Message(role="tool", tool_call_id=call_id, content=json.dumps(value), is_error=error or None)


def build(store: Store, run_key: str = "run1", judge_key: str = "j1") -> dict[str, Any]:
    weather_agent = _agent("weather", [WEATHER, FORECAST])
    office_agent = _agent("office", [BOOK])
    t_paris = _task(weather_agent, "Weather in Paris and Oslo", 1)
    t_lima = _task(weather_agent, "Three-day forecast for Lima", 2, "single_call")
    t_room = _task(office_agent, "Book room A at 10", 3)
    weather_tools = [WEATHER.openai_function(), FORECAST.openai_function()]
    trajectories = [
        Trajectory(
            task_id=t_paris.id,
            agent_id=weather_agent.id,
            attempt=0,
            run_key=run_key,
            tools=weather_tools,
            end_reason="user_stop",
            models={"agent": "local/smollm2"},
            messages=[
                Message(role="system", content=weather_agent.system_prompt),
                Message(role="user", content="Weather in Paris and Oslo, please — in °C."),
                Message(
                    role="assistant",
                    content="Checking both.",
                    tool_calls=[
                        _call("a1", "get_weather", city="Paris", unit="c"),
                        _call("a2", "get_weather", city="Oslo"),
                    ],
                ),
                _tool("a1", {"temp": 18}),
                _tool("a2", {"temp": 4}),
                Message(role="assistant", content="Paris is 18 °C and Oslo 4 °C."),
            ],
        ),
        Trajectory(
            task_id=t_lima.id,
            agent_id=weather_agent.id,
            attempt=0,
            run_key=run_key,
            tools=weather_tools,
            end_reason="user_stop",
            messages=[
                Message(role="user", content="Forecast for Lima, three days."),
                Message(role="assistant", tool_calls=[_call("b1", "get_forecast", city="Lima", days=30)]),
                _tool("b1", {"error": "the forecast covers at most 7 days"}, error=True),
                Message(role="assistant", tool_calls=[_call("b2", "get_forecast", city="Lima", days=3)]),
                _tool("b2", {"days": [20, 21, 19]}),
                Message(role="assistant", content="Lima: 20, 21 and 19 °C."),
            ],
        ),
        Trajectory(
            task_id=t_room.id,
            agent_id=office_agent.id,
            attempt=0,
            run_key=run_key,
            tools=[BOOK.openai_function()],
            end_reason="max_turns",
            messages=[
                Message(role="user", content="Book room A at 10."),
                Message(role="assistant", tool_calls=[_call("c1", "book_room", room="A", hour=10)]),
                _tool("c1", {"ok": True}),
            ],
        ),
        Trajectory(
            task_id=t_room.id,
            agent_id=office_agent.id,
            attempt=1,
            run_key=run_key,
            tools=[BOOK.openai_function()],
            end_reason="user_stop",
            messages=[
                Message(role="user", content="Book room A at 10."),
                Message(role="assistant", tool_calls=[_call("c1", "book_room", room="A", hour=10)]),
                _tool("c1", {"ok": True}),
                Message(role="assistant", content="Room A is booked for 10:00."),
            ],
        ),
    ]
    scores = [0.95, 0.72, 0.1, 0.88]
    verdicts = [
        Verdict(
            trajectory_id=t.id,
            checks=[
                CheckResult(check="rules", passed=s > 0.5, score=s),
                CheckResult(check="rubric", passed=s > 0.8, score=s),
            ],
            score=s,
            accepted=s > 0.5,
            judge_key=judge_key,
        )
        for t, s in zip(trajectories, scores, strict=True)
    ]
    store.put([WEATHER, FORECAST, BOOK])
    store.put([weather_agent, office_agent])
    store.put([t_paris, t_lima, t_room])
    store.put(trajectories)
    store.put(verdicts)
    return {"trajectories": trajectories, "verdicts": verdicts, "tasks": [t_paris, t_lima, t_room]}
