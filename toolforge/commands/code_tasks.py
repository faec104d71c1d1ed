"""`toolforge code-tasks list | run`: code tasks graded by their tests in sandboxes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from environments.episodes.code_task_episode import (
    TOOL_SPECS,
    CodeEpisode,
    CodeLimits,
    CodeRunConfig,
    PatchPolicy,
    run_code_task,
)
from environments.episodes.policies import LLMPolicy, Policy
from judges.config import JudgeConfig, RubricConfig, StateConfig
from judges.judge import Judge
from judges.tests_check import SandboxGrader
from sandbox import (
    DEFAULT_IMAGE,
    Backend,
    CodeTask,
    CodeTaskError,
    DockerBackendConfig,
    LocalBackendConfig,
    SandboxError,
    SandboxSpec,
    load_tasks,
    make_backend,
)
from toolforge.commands.common import DbOption, console, fail, open_store
from toolforge.commands.summary import DEFAULT_MAX_FAILURE_RATE, FailureSummary, MaxFailureRateOption
from toolforge.core import aio
from toolforge.core.llm import LLMClient, LLMConfig
from toolforge.core.store import Store
from toolforge.core.types import Verdict

app = typer.Typer(
    help="Code tasks: list them, or run an agent (or a known patch) on them and grade the result."
)

DirArgument = Annotated[Path, typer.Argument(help="A code task (folder or .json) or a folder of them.")]


def _load(path: Path, only: list[str] | None) -> list[CodeTask]:
    try:
        tasks = load_tasks(path)
    except CodeTaskError as exc:
        fail(str(exc))
    if only:
        unknown = sorted(set(only) - {t.id for t in tasks})
        if unknown:
            fail(f"no task {', '.join(unknown)} in {path}; `toolforge code-tasks list {path}` shows the ids")
        tasks = [t for t in tasks if t.id in only]
    return tasks


@app.command("list")
def list_cmd(path: DirArgument) -> None:
    """Show the tasks: ids, test counts, and whether a gold patch is included."""
    tasks = _load(path, None)
    table = Table(title=f"code tasks in {path}")
    for column in ("id", "files", "FAIL_TO_PASS", "PASS_TO_PASS", "gold patch", "instruction"):
        table.add_column(column)
    for t in tasks:
        head = t.instruction if len(t.instruction) < 48 else t.instruction[:45] + "..."
        table.add_row(
            t.id,
            str(len(t.files)),
            str(len(t.fail_to_pass)),
            str(len(t.pass_to_pass)),
            "yes" if t.gold_patch else "no",
            head,
        )
    console.print(table)
    console.print(f"{len(tasks)} task(s), {sum(t.gold_patch is not None for t in tasks)} with a gold patch")


@app.command()
def run(
    path: DirArgument,
    patch: Annotated[
        Path | None, typer.Option(help="Apply this unified diff (one task) instead of an agent.")
    ] = None,
    gold: Annotated[bool, typer.Option(help="Apply each task's own gold patch.")] = False,
    model: Annotated[
        str | None, typer.Option(help="The agent's model (litellm string, or local/smollm2).")
    ] = None,
    api_base: Annotated[str | None, typer.Option(help="Base URL of an OpenAI-compatible server.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="Environment variable holding the API key.")] = None,
    tool_mode: Annotated[str, typer.Option(help="native or json tool calling.")] = "native",
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Only these task ids (repeatable).")
    ] = None,
    backend: Annotated[str, typer.Option(help="docker or local.")] = "docker",
    unsafe_no_isolation: Annotated[
        bool,
        typer.Option(
            "--unsafe-no-isolation",
            help="local backend without bubblewrap: run the code unisolated, as this user on the host.",
        ),
    ] = False,
    image: Annotated[str, typer.Option(help="Sandbox image (docker backend).")] = DEFAULT_IMAGE,
    concurrency: Annotated[int, typer.Option(min=1, help="Episodes in flight.")] = 2,
    max_turns: Annotated[int, typer.Option(min=1)] = 40,
    attempt: Annotated[int, typer.Option(min=0, help="Attempt number (part of the trajectory id).")] = 0,
    max_failure_rate: MaxFailureRateOption = DEFAULT_MAX_FAILURE_RATE,
    db: DbOption = None,
) -> None:
    """Play each task once (agent, --patch or --gold), grade it, store trajectory and verdict.

    Ends with the tasks that could not be graded, by reason; exits 1 when none could be, more than
    --max-failure-rate could not, or a --patch / --gold run leaves a task unresolved."""
    tasks = _chosen_tasks(path, task, patch=patch, gold=gold, model=model)
    if backend not in ("docker", "local"):
        raise typer.BadParameter("use docker or local", param_hint="--backend")
    if tool_mode not in ("native", "json"):
        raise typer.BadParameter("use native or json", param_hint="--tool-mode")
    patch_text = patch.read_text() if patch is not None else None
    store = open_store(db)
    try:
        chosen = make_backend(
            DockerBackendConfig()
            if backend == "docker"
            else LocalBackendConfig(unsafe_no_isolation=unsafe_no_isolation)
        )
    except SandboxError as exc:
        fail(str(exc))
    spec = SandboxSpec(image=image)
    limits = CodeLimits(max_turns=max_turns)
    llm_cfg = (
        LLMConfig(model=model, api_base=api_base, api_key_env=api_key_env, tool_mode=tool_mode)
        if model
        else None
    )
    summary = FailureSummary(store)
    try:
        episodes, verdicts = aio.run(
            _run_all(tasks, chosen, spec, limits, store, llm_cfg, patch_text, gold, concurrency, attempt)
        )
        print_runs(episodes, verdicts, store.display_url)
        _finish(episodes, summary, max_failure_rate, patched=gold or patch is not None)
    except SandboxError as exc:
        fail(str(exc))
    finally:
        chosen.close()
        store.close()


def _chosen_tasks(
    path: Path, only: list[str] | None, *, patch: Path | None, gold: bool, model: str | None
) -> list[CodeTask]:
    """The tasks to play; exactly one of --model, --patch (one task) or --gold (every task has one)."""
    if sum(x is not None and x is not False for x in (patch, gold or None, model)) != 1:
        raise typer.BadParameter("give exactly one of --model, --patch FILE or --gold")
    tasks = _load(path, only)
    if patch is not None and len(tasks) != 1:
        fail(f"--patch applies to one task but {path} holds {len(tasks)}: add --task ID")
    if gold and any(t.gold_patch is None for t in tasks):
        fail(
            "--gold needs a gold.patch in every task: "
            + ", ".join(t.id for t in tasks if t.gold_patch is None)
        )
    return tasks


def print_runs(episodes: list[CodeEpisode], verdicts: list[Verdict], where: str) -> None:
    table = Table(title="code-task runs")
    for column in ("task", "status", "FAIL_TO_PASS", "PASS_TO_PASS", "end", "turns", "accepted", "wall s"):
        table.add_column(column)
    for ep, verdict in zip(episodes, verdicts, strict=True):
        report = ep.report
        table.add_row(
            ep.task.metadata["code_task"],
            report.status if report else "[red]no grade[/]",
            "{}/{}".format(*report.fail_to_pass) if report else "-",
            "{}/{}".format(*report.pass_to_pass) if report else "-",
            ep.trajectory.end_reason + (f" ({ep.trajectory.error[:40]})" if ep.trajectory.error else ""),
            str(ep.trajectory.metadata["turns"]),
            "yes" if verdict.accepted else "no",
            f"{ep.trajectory.wall_time_s:.1f}",
        )
    console.print(table)
    resolved = sum(bool(ep.report and ep.report.resolved) for ep in episodes)
    console.print(f"resolved {resolved}/{len(episodes)}; trajectories and verdicts stored in {where}")


def _finish(
    episodes: list[CodeEpisode], summary: FailureSummary, max_failure_rate: float, patched: bool
) -> None:
    """The tasks that got no grade (the sandbox or the model failed), by reason; a known patch
    that leaves a task unresolved fails the command too."""
    graded = [ep for ep in episodes if ep.report is not None]
    for ep in episodes:
        if ep.report is None:
            reason = ep.trajectory.error or f"no grade (episode ended {ep.trajectory.end_reason})"
            summary.add("code-tasks", reason, ep.task.metadata["code_task"])
    unresolved = [ep for ep in graded if ep.report is not None and not ep.report.resolved]
    for ep in unresolved if patched else []:
        assert ep.report is not None
        passed, total = ep.report.fail_to_pass
        summary.add(
            "code-tasks",
            f"not resolved: the patch passes {passed} of {total} FAIL_TO_PASS tests",
            ep.task.metadata["code_task"],
            fix="fix the patch: it must make every FAIL_TO_PASS test pass and keep PASS_TO_PASS passing",
        )
    unplayed = len(episodes) - len(graded)
    problems = (
        [f"the patch leaves {len(unresolved) + unplayed} of {len(episodes)} task(s) unresolved"]
        if patched and (unresolved or unplayed)
        else []
    )
    summary.finish({"code-tasks": (len(graded), len(episodes) - len(graded))}, max_failure_rate, problems)


async def _run_all(
    tasks: list[CodeTask],
    backend: Backend,
    spec: SandboxSpec,
    limits: CodeLimits,
    store: Store,
    llm_cfg: LLMConfig | None,
    patch_text: str | None,
    gold: bool,
    concurrency: int,
    attempt: int,
) -> tuple[list[CodeEpisode], list[Verdict]]:
    grader = SandboxGrader(backend, {t.id: t for t in tasks}, spec)
    judge = Judge(
        JudgeConfig(state=StateConfig(enabled=False), rubric=RubricConfig(enabled=False)), grader=grader
    )
    llm = LLMClient(store, run_id="code-tasks") if llm_cfg is not None else None
    models = {"agent": llm_cfg.model} if llm_cfg is not None else {}
    semaphore = asyncio.Semaphore(concurrency)
    results: dict[str, tuple[CodeEpisode, Verdict]] = {}
    policy: Policy
    if llm is not None and llm_cfg is not None:
        policy = LLMPolicy(llm, llm_cfg)
    elif gold:
        policy = PatchPolicy({t.id: t.gold_patch or "" for t in tasks})
    else:
        assert patch_text is not None
        policy = PatchPolicy(patch_text)
    key = CodeRunConfig(policy, limits, models).run_key()

    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("code tasks", total=len(tasks))

        async def one(code_task: CodeTask) -> None:
            async with semaphore:
                episode = await run_code_task(
                    code_task,
                    policy,
                    backend,
                    spec=spec,
                    attempt=attempt,
                    limits=limits,
                    key=key,
                    models=models,
                )
                verdict = await judge.judge(episode.trajectory, episode.task)
                await asyncio.to_thread(
                    store.put, [*TOOL_SPECS, episode.agent, episode.task, episode.trajectory, verdict]
                )
                results[code_task.id] = (episode, verdict)
                progress.advance(bar)

        try:
            await asyncio.gather(*(one(t) for t in tasks))
        finally:
            if llm is not None:
                await llm.aclose()
    return [results[t.id][0] for t in tasks], [results[t.id][1] for t in tasks]
