"""The template user hears a question only in the assistant's own words: a value it quotes from
the world that ends in "?" (a ticket's text) is no question, and the user thanks and stops."""

from __future__ import annotations

from environments.episodes.episode import Episode
from environments.episodes.users import TemplateUser
from toolforge.core.types import Agent, Message, Rubric, Task, UserGoal


def _episode() -> Episode:
    agent = Agent(name="Helpdesk", system_prompt="You are a helpdesk assistant.", tool_ids=[], tool_names=[])
    task = Task(
        agent_id=agent.id,
        user_goal=UserGoal(
            description="You want to change the priority of tkt_0108 to normal.",
            known_facts={"ticket_id": "tkt_0108", "priority": "normal"},
            opening_message="Please change the priority of tkt_0108 to normal.",
        ),
        difficulty="single_call",
        rubric=Rubric(success_criteria=["tkt_0108 is normal priority"]),
        source="template",
    )
    return Episode(task=task, agent=agent, tools=[], episode_id="traj_test", attempt=0)


async def test_a_quoted_question_from_the_world_is_no_question_to_the_user() -> None:
    episode = _episode()
    done = "I've set tkt_0108 to normal; it says “Could the dashboard get a dark mode? We work nights.”."
    turn = await TemplateUser().reply([Message(role="assistant", content=done)], episode)
    assert turn.stop


async def test_the_assistants_own_question_is_still_answered() -> None:
    episode = _episode()
    ask = "It says “Could the dashboard get a dark mode?”. Shall I set it to normal?"
    turn = await TemplateUser().reply([Message(role="assistant", content=ask)], episode)
    assert not turn.stop
