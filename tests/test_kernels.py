"""How the headless chapters reach and schedule their kernels (analysis.book.kernels)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import nbformat
import pytest

from analysis.book.execute import execute_sections, find_section
from analysis.book.kernels import DataNotReady, IpcKernelManager, StartGate


def test_kernels_use_unix_sockets_in_a_folder_only_this_user_can_enter():
    manager = IpcKernelManager(kernel_name="python3")
    folder = Path(manager.connection_file).parent
    assert manager.transport == "ipc"
    assert manager.ip == str(folder / Path(manager.connection_file).stem) + "-ipc"
    assert os.stat(folder).st_mode & 0o777 == 0o700  # (jupyter_client may add the sticky bit)
    assert len(manager.ip) + len("-5") < 100  # a Unix socket path is limited to about 100 bytes


def _run_turns(gate: StartGate, turns: list[int], seconds: float = 0.05) -> tuple[list[int], int]:
    """Enter the gate from one thread per turn; the order they ran in and the most at once."""
    order, running, most, lock = [], [0], [0], threading.Lock()

    def chapter(turn: int) -> None:
        gate.enter(turn)
        with lock:
            order.append(turn)
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(seconds)
        with lock:
            running[0] -= 1
        gate.leave()

    threads = [threading.Thread(target=chapter, args=(t,)) for t in turns]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    assert not order  # nothing runs before the data are ready
    gate.open()
    for thread in threads:
        thread.join(10)
    return order, most[0]


def test_chapters_wait_for_the_data_then_run_in_order_at_most_jobs_at_once():
    order, most = _run_turns(StartGate(jobs=2), [3, 1, 0, 2])
    assert order == [0, 1, 2, 3] and most == 2


def test_the_next_turn_waiting_early_goes_as_soon_as_the_turn_before_it_has_started():
    """Turn 1 asks first and must not wait for turn 0 to finish when a second slot is free."""
    gate = StartGate(jobs=2, ready=True)
    entered = threading.Event()

    def second() -> None:
        gate.enter(1)
        entered.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.05)
    assert not entered.is_set()  # turn 0 has not started yet
    gate.enter(0)  # ... and now it has, and keeps its slot
    assert entered.wait(5), "turn 1 was not woken when turn 0 entered"
    gate.leave()
    gate.leave()
    thread.join(5)


def test_a_chapter_that_stops_before_its_first_cell_gives_up_its_turn():
    gate = StartGate(jobs=1)
    gate.skip(1)
    order, _ = _run_turns(gate, [2, 0])
    assert order == [0, 2]


def test_a_data_problem_stops_every_waiting_chapter():
    gate = StartGate(jobs=2)
    gate.fail("the data could not be prepared")
    with pytest.raises(DataNotReady, match="could not be prepared"):
        gate.enter(0)


def test_kernels_start_before_the_data_are_ready_and_run_once_the_gate_opens(tmp_path: Path):
    gate = StartGate(jobs=1)
    runs = execute_sections([find_section("safety")], gate=gate)
    time.sleep(1.0)  # the kernel starts meanwhile; its first cell waits
    gate.open()
    done = next(runs)
    assert done.timings["held"] > 0 and done.timings["kernel_ready"] < done.seconds
    errors = [o for c in done.notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors and "Adverse events" in nbformat.writes(done.notebook)
