"""Issue 15's fault battery: each probe ends in a clear message and the right exit code, and
loses nothing stored (`probes.py` holds the probes; `bench/faults.py` runs them all)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import probes
import pytest

from toolforge_testing.llm_server import TestServer


@pytest.fixture(scope="module")
def server() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


def assert_handled(result: probes.ProbeResult) -> None:
    failed = [name for name, ok in result.checks.items() if not ok]
    assert not failed, f"{result.name}: {failed}; {result.detail}"
    assert result.handled and result.lost_rows == 0 and result.leaked_secrets == 0


def test_a_duplicated_yaml_key_is_refused_naming_the_lines(tmp_path: Path) -> None:
    assert_handled(probes.probe_duplicate_key(tmp_path))


def test_the_local_sandbox_without_bubblewrap_needs_the_unsafe_flag(tmp_path: Path) -> None:
    assert_handled(probes.probe_sandbox_without_bubblewrap(tmp_path))


def test_a_refused_judge_key_is_fatal_at_once(tmp_path: Path, server: TestServer) -> None:
    assert_handled(probes.probe_auth_error_is_fatal(tmp_path, server))


@pytest.mark.slow
def test_a_key_echoed_in_a_200_reply_is_nowhere_stored_exported_or_printed(
    tmp_path: Path, server: TestServer
) -> None:
    assert_handled(probes.probe_secret_echo(tmp_path, server))


@pytest.mark.slow
def test_a_broken_judge_that_is_not_required_does_not_veto(tmp_path: Path, server: TestServer) -> None:
    assert_handled(probes.probe_non_required_judge(tmp_path, server))


def test_an_empty_dataset_exits_non_zero(tmp_path: Path) -> None:
    assert_handled(probes.probe_empty_dataset_exit(tmp_path))


@pytest.mark.slow
def test_two_runs_in_one_workspace_keep_their_own_datasets(tmp_path: Path) -> None:
    assert_handled(probes.probe_shared_workspace(tmp_path))


@pytest.mark.slow
def test_export_of_a_reshaped_run_holds_its_current_items_only(tmp_path: Path) -> None:
    assert_handled(probes.probe_export_current_only(tmp_path))


@pytest.mark.slow
def test_a_live_run_is_locked_and_sigterm_stops_it_cleanly(tmp_path: Path, server: TestServer) -> None:
    assert_handled(probes.probe_lock_and_sigterm(tmp_path, server))


def test_failed_harvest_servers_exit_non_zero_with_one_line_each(tmp_path: Path) -> None:
    assert_handled(probes.probe_harvest_failures(tmp_path))


@pytest.mark.slow
def test_a_server_missing_on_resume_stops_the_run_and_keeps_the_dataset(tmp_path: Path) -> None:
    assert_handled(probes.probe_missing_server_resume(tmp_path))


@pytest.mark.slow
def test_a_lock_held_on_another_machine_refuses_then_goes_stale_and_is_taken_over(tmp_path: Path) -> None:
    assert_handled(probes.probe_lock_held_on_another_machine(tmp_path))


def test_a_rollout_whose_model_refuses_every_request_groups_the_failures(
    tmp_path: Path, server: TestServer
) -> None:
    assert_handled(probes.probe_rollout_failures_summarised(tmp_path, server))


def test_a_mostly_broken_catalog_exits_1_over_the_threshold(tmp_path: Path) -> None:
    assert_handled(probes.probe_import_over_threshold(tmp_path))


def test_eval_with_a_refused_key_stops_at_once(tmp_path: Path, server: TestServer) -> None:
    assert_handled(probes.probe_eval_refused_key(tmp_path, server))
