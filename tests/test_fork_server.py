"""Kernels forked from the fork server (analysis.book.fork_server) are fresh kernels that skipped the
imports: same outputs, same surroundings, nothing shared between them, and no process left behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import nbformat
import pytest

from analysis.book import fork_server
from analysis.book.execute import Section, execute_section, find_section
from analysis.book.fork_server import (
    NOTEBOOKS,
    ForkServer,
    incompatibility,
    kernel_environment,
    private_folder,
)
from analysis.book.kernels import IpcKernelManager
from processes import alive, wait_until

def test_where_kernels_cannot_be_forked_no_server_is_started(monkeypatch):
    monkeypatch.setattr(fork_server, "SUPPORTED", False)
    assert fork_server.start(None) is None  # execute_sections then starts fresh kernels


needs_fork = pytest.mark.skipif(not fork_server.SUPPORTED, reason="kernels are forked on Linux only")

PROBE = '''# %%
import json, os, sys, threading
import matplotlib
from ipykernel.kernelapp import IPKernelApp
print(json.dumps({
    "fds": sorted(os.listdir("/proc/self/fd")), "path": sys.path, "argv0": sys.argv[0],
    "argv_rest": sys.argv[3:], "cwd": os.getcwd(), "main": sys.modules["__main__"].__name__,
    "env": {k: v for k, v in os.environ.items() if k != "JPY_PARENT_PID"},
    "parent_pid_variable": os.environ["JPY_PARENT_PID"], "ppid": os.getppid(),
    "parent_handle": IPKernelApp.instance().parent_handle, "own_session": os.getsid(0) == os.getpid(),
    "backend": matplotlib.rcParams["backend"], "python_threads": threading.active_count(),
    "preloaded": "analysis.report.sections.subgroups" in sys.modules}))
'''


def _probe(tmp_path: Path, forks: ForkServer | None) -> dict:
    script = tmp_path / "probe.py"
    script.write_text(PROBE, encoding="utf-8")
    notebook = execute_section(Section("probe", script), forks=forks)
    return json.loads(notebook.cells[0].outputs[0]["text"])


@needs_fork
def test_a_forked_kernel_has_the_surroundings_of_a_fresh_one(tmp_path: Path):
    # Each test starts its own server: pytest changes $PYTEST_CURRENT_TEST between a fixture and
    # the test, and a server serves only launches in the environment it was started in.
    with fork_server.start(None) as server:
        fresh, forked = _probe(tmp_path, None), _probe(tmp_path, server)
    assert server.fallbacks == []
    assert forked["preloaded"] and not fresh["preloaded"]  # the one intended difference
    for key in ("fds", "path", "argv0", "argv_rest", "cwd", "main", "env", "backend",
                "python_threads", "own_session"):
        assert forked[key] == fresh[key], key
    # Its parent is the server, and ipykernel watches the server (it exits if the server dies).
    assert forked["ppid"] == server.process.pid
    assert forked["parent_handle"] == server.process.pid == int(forked["parent_pid_variable"])


def _outputs(notebook: nbformat.NotebookNode) -> list:
    return [[{k: v for k, v in o.items() if k != "metadata"} for o in cell.get("outputs", [])]
            for cell in notebook.cells]


@needs_fork
@pytest.mark.parametrize("name", ["safety", "cohort"])
def test_a_chapter_gives_the_same_outputs_forked_and_fresh(name: str):
    """Every output, figures byte for byte: the forked kernel computes what a fresh one does."""
    with fork_server.start(None) as server:
        fresh = execute_section(find_section(name))
        forked = execute_section(find_section(name), forks=server)
    assert server.fallbacks == []
    assert _outputs(forked) == _outputs(fresh)
    assert any("image/png" in o.get("data", {}) for cell in forked.cells for o in cell.get("outputs", []))


@needs_fork
def test_nothing_one_forked_kernel_changes_is_seen_by_the_next(tmp_path: Path):
    first = tmp_path / "first.py"
    first.write_text('''# %%
import numpy, pandas, matplotlib, analysis.report.style as style
pandas.set_option("display.max_rows", 3)
matplotlib.rcParams["font.size"] = 99
style.BASE_FONT_SIZE = -1
print(numpy.random.random())
''', encoding="utf-8")
    second = tmp_path / "second.py"
    second.write_text('''# %%
import json, numpy, pandas, matplotlib, analysis.report.style as style
print(json.dumps([pandas.get_option("display.max_rows"), matplotlib.rcParams["font.size"],
                  style.BASE_FONT_SIZE, numpy.random.random()]))
''', encoding="utf-8")
    with fork_server.start(None) as server:
        drawn = float(execute_section(Section("first", first), forks=server).cells[0].outputs[0]["text"])
        rows, size, base, draw = json.loads(
            execute_section(Section("second", second), forks=server).cells[0].outputs[0]["text"])
    assert server.fallbacks == []
    assert rows == 60 and size != 99 and base > 0
    assert draw != drawn  # NumPy's global generator is reseeded in each kernel, not inherited


def test_only_this_pythons_ipykernel_in_the_servers_environment_is_forked(tmp_path: Path):
    env = {"PATH": "/usr/bin", "TKI_DATA_DIR": "/data"}
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", "k.json"]
    assert incompatibility(kernel, env, env) is None
    # What Quarto and jupyter_client set for a kernel is read when a chapter runs, not at import.
    quarto = {"QUARTO_EXECUTE_INFO": "/tmp/info.json", "QUARTO_FIG_DPI": "300", "JPY_SESSION_NAME": "x",
              "DENO_TLS_CA_STORE": "system", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    assert incompatibility(kernel, {**env, **quarto}, env) is None
    assert "TKI_DATA_DIR" in incompatibility(kernel, {**env, "TKI_DATA_DIR": "/other"}, env)
    assert "MPLBACKEND" in incompatibility(kernel, {**env, "MPLBACKEND": "agg"}, env)
    assert "PATH" in incompatibility(kernel, {**env, "PATH": "/opt/bin:/usr/bin"}, env)
    assert "PYTHONHASHSEED" in incompatibility(kernel, {**env, "PYTHONHASHSEED": "0"}, env)
    assert "not this Python's ipykernel" in incompatibility(["/usr/bin/python3", *kernel[1:]], env, env)
    assert "not this Python's ipykernel" in incompatibility([sys.executable, "-m", "other"], env, env)
    # Another folder is fine unless matplotlib would read a matplotlibrc there (or in the server's).
    server_folder, other, configured = (tmp_path / name for name in ("server", "other", "configured"))
    for folder in (server_folder, other, configured):
        folder.mkdir()
    (configured / "matplotlibrc").write_text("figure.dpi: 50\n", encoding="utf-8")
    assert incompatibility(kernel, env, env, f"{server_folder}/../server", str(server_folder)) is None
    assert incompatibility(kernel, env, env, str(other), str(server_folder)) is None
    assert "matplotlibrc" in incompatibility(kernel, env, env, str(configured), str(server_folder))
    assert "matplotlibrc" in incompatibility(kernel, env, env, str(other), str(configured))


@needs_fork
def test_a_launch_the_server_cannot_serve_starts_a_fresh_kernel(tmp_path: Path, monkeypatch):
    forks = ForkServer(private_folder(), {**kernel_environment(None), "TKI_EXTRA": "server only"})
    try:
        probe = _probe(tmp_path, forks)
    finally:
        forks.close()
    assert not probe["preloaded"]
    assert forks.fallbacks == ["environment differs from the server's in TKI_EXTRA"]


async def _start(manager: IpcKernelManager) -> None:
    await manager.start_kernel(env=kernel_environment(None), cwd=str(NOTEBOOKS))


@needs_fork
def test_interrupting_and_stopping_reach_the_forked_kernel_and_what_it_started():
    server = fork_server.start(None)
    manager = IpcKernelManager.forking_from(server)(kernel_name="python3")

    async def scenario() -> tuple[str, int, int]:
        await _start(manager)
        client = manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        client.execute("import subprocess, time\n"
                       "child = subprocess.Popen(['sleep', '60'])\n"
                       "print(child.pid, flush=True)\n"
                       "time.sleep(60)")
        child, error = None, None
        while error is None:
            message = await client.get_iopub_msg(timeout=20)
            if message["msg_type"] == "stream" and child is None:
                child = int(message["content"]["text"])
                await manager.interrupt_kernel()  # SIGINT, as for a kernel jupyter_client starts
            elif message["msg_type"] == "error":
                error = message["content"]["ename"]
        pid = manager.provisioner.pid
        client.stop_channels()
        await manager.shutdown_kernel(now=True)  # SIGKILL to the kernel's process group
        return error, pid, child

    try:
        error, pid, child = asyncio.run(scenario())
    finally:
        server.close()
    assert error == "KeyboardInterrupt"
    assert server.fallbacks == [] and pid != server.process.pid
    assert wait_until(lambda: not alive(pid)) and wait_until(lambda: not alive(child))


def _launch(server: ForkServer, name: str):
    return server.launch([sys.executable, "-m", "ipykernel_launcher", "-f",
                          str(Path(private_folder()) / name)], kernel_environment(None), NOTEBOOKS)


@needs_fork
def test_a_bad_request_or_a_kernel_exiting_leaves_the_server_serving():
    import socket

    with fork_server.start(None) as server:
        first = _launch(server, "kfirst.json")
        assert first is not None
        junk = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        junk.connect(server.path)
        junk.sendall(b"\x00\x00\x00\x05{bad}")
        assert junk.recv(100) == b""  # refused and closed
        junk.close()
        os.kill(first.pid, signal.SIGTERM)  # the kernel ends by itself: its status comes back
        assert first.wait(timeout=20) == -signal.SIGTERM
        second = _launch(server, "ksecond.json")
        assert second is not None and wait_until(lambda: alive(second.pid))
        assert server.process.poll() is None


@needs_fork
def test_closing_the_server_ends_it_and_every_kernel_it_forked(tmp_path: Path):
    forks = fork_server.start(None)
    kernel = _launch(forks, "kclose.json")
    assert kernel is not None and wait_until(lambda: alive(kernel.pid))
    forks.close()
    assert forks.process.returncode is not None
    assert wait_until(lambda: not alive(kernel.pid))
    assert kernel.wait(timeout=5) == -signal.SIGKILL


def test_sections_with_fresh_kernels_start_no_server(data_copy: Path, tmp_path: Path, monkeypatch):
    from analysis.__main__ import main

    def refuse(*_: object) -> None:
        raise AssertionError("no fork server with --fresh-kernels")

    monkeypatch.setattr(fork_server, "start", refuse)
    assert main(["sections", "safety", "--fresh-kernels", "--data-dir", str(data_copy),
                 "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "04-safety.html").exists()
