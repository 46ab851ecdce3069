"""`python -m analysis render`: Quarto's chapter kernels, started through the kernelspec it writes,
are forked from the fork server when they can be, and are managed (interrupted, stopped, killed)
as the kernels jupyter_client starts itself; anything else starts the usual kernel."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from analysis.__main__ import main
from analysis.book import fork_server, kernel_launcher, render
from analysis.config import NOTEBOOKS, PROJECT_ROOT
from processes import alive, wait_until

needs_fork = pytest.mark.skipif(not fork_server.SUPPORTED, reason="kernels are forked on Linux only")
STAND_IN = PROJECT_ROOT / "benchmarks" / "quarto-stand-in.sh"
PRELOADED = "import sys; print('analysis.report.sections.subgroups' in sys.modules, flush=True)"


@contextmanager
def render_setup(tmp_path: Path, monkeypatch):
    """What `render` sets up before it runs Quarto: the server in the render's environment (with
    what Quarto adds for its kernels) and the kernelspec on JUPYTER_PATH, also for this process.
    (Within the test: pytest changes PYTEST_CURRENT_TEST between a fixture and the test.)"""
    env = render.render_environment(PROJECT_ROOT / "data" / "synthetic", Path("/nonexistent/quarto"),
                                    str(tmp_path / "jupyter"))
    for name, value in {**env, **render.QUARTO_KERNEL_VARIABLES}.items():
        monkeypatch.setenv(name, value)
    server = fork_server.ForkServer(tmp_path, dict(os.environ), cwd=NOTEBOOKS)
    render.write_kernelspec(tmp_path / "jupyter", server.path)
    assert server.wait_listening()
    try:
        yield server
    finally:
        server.close()


def _kernels_of(server: fork_server.ForkServer) -> list[int]:
    """The pids of the kernels the server has forked and not yet reaped."""
    with open(f"/proc/{server.process.pid}/task/{server.process.pid}/children") as children:
        return [int(pid) for pid in children.read().split()]


def test_the_kernelspec_is_found_first_on_jupyter_path_and_runs_the_launcher(tmp_path: Path, monkeypatch):
    from ipykernel.kernelspec import get_kernel_dict

    folder = render.write_kernelspec(tmp_path / "jupyter", "/run/fork-socket")
    monkeypatch.setenv("JUPYTER_PATH", str(folder))
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.resource_dir == str(folder / "kernels" / "python3")
    assert spec.argv == [sys.executable, "-m", "analysis.book.kernel_launcher", "/run/fork-socket", "--",
                         sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    ipykernel = get_kernel_dict()  # everything else is ipykernel's own kernelspec
    assert spec.language == ipykernel["language"] and spec.metadata == ipykernel["metadata"]
    assert spec.display_name == ipykernel["display_name"] and spec.interrupt_mode == "signal"


def test_the_render_environment_names_the_data_python_and_kernelspecs(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    quarto = tmp_path / "quarto"
    quarto.write_text("#!/bin/sh\necho 1.11.3\n", encoding="utf-8")
    quarto.chmod(quarto.stat().st_mode | stat.S_IXUSR)
    env = render.render_environment(tmp_path / "data", quarto, "/private/jupyter")
    assert env["TKI_DATA_DIR"] == str((tmp_path / "data").resolve())
    assert env["QUARTO_PYTHON"] == sys.executable and env["QUARTO_VERSION"] == "1.11.3"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)  # pre-render's python
    assert env["JUPYTER_PATH"] == os.pathsep.join(["/private/jupyter", "/elsewhere"])


def test_the_summary_says_how_many_kernels_were_forked_and_why_others_were_not():
    assert render.kernel_summary({"forked": 27, "fallbacks": []}) == \
        "chapter kernels: 27 forked from the fork server"
    line = render.kernel_summary({"forked": 24, "fallbacks": ["environment differs in PATH"] * 2},
                                 ["no fork server at /x"])
    assert line.endswith("24 forked from the fork server; 3 started the usual way: "
                         "environment differs in PATH (2×); no fork server at /x (1×)")
    assert "did not report" in render.kernel_summary(None)
    assert render.kernel_summary({"forked": 0, "fallbacks": []}) == "chapter kernels: none started"


async def _run(manager: AsyncKernelManager, code: str) -> tuple[list[str], str | None]:
    """Execute `code` in the manager's kernel: its printed lines, and the error name if any."""
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        msg_id = client.execute(code)
        lines, error = [], None
        while True:
            message = await client.get_iopub_msg(timeout=60)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                lines += message["content"]["text"].split()
            elif message["msg_type"] == "error":
                error = message["content"]["ename"]
            elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return lines, error
    finally:
        client.stop_channels()


@needs_fork
def test_a_kernel_started_from_the_kernelspec_is_forked_and_managed_like_any_kernel(tmp_path, monkeypatch):
    """jupyter_client's own manager, as in Quarto's Python: the kernel is forked (it has the
    server's modules), an interrupt reaches it, and a shutdown ends it and its launcher."""
    manager = AsyncKernelManager(kernel_name="python3")

    async def scenario(server):
        await manager.start_kernel(cwd=str(PROJECT_ROOT))  # index.qmd's folder, not the server's
        preloaded, _ = await _run(manager, PRELOADED)
        launcher = manager.provisioner.process.pid
        kernel = _kernels_of(server)
        client = manager.client()
        client.start_channels()
        await client.wait_for_ready(timeout=60)
        client.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
        while True:
            message = await client.get_iopub_msg(timeout=30)
            if message["msg_type"] == "stream":
                break
        await manager.interrupt_kernel()  # SIGINT to the launcher's group: passed on to the kernel
        while True:
            message = await client.get_iopub_msg(timeout=30)
            if message["msg_type"] == "error":
                interrupted = message["content"]["ename"]
                break
        client.stop_channels()
        await manager.shutdown_kernel()
        return preloaded, launcher, kernel, interrupted

    with render_setup(tmp_path, monkeypatch) as server:
        preloaded, launcher, kernel, interrupted = asyncio.run(scenario(server))
        status = server.status()
    assert preloaded == ["True"] and len(kernel) == 1 and interrupted == "KeyboardInterrupt"
    assert wait_until(lambda: not alive(launcher)) and wait_until(lambda: not alive(kernel[0]))
    assert status == {"forked": 1, "fallbacks": []}


def _launcher(tmp_path: Path, name: str) -> list[str]:
    """The kernelspec's command for the connection file `name`. (Started with env=os.environ, as
    jupyter_client does: readline, once imported, puts LINES and COLUMNS into the C environment.)"""
    command = json.loads((tmp_path / "jupyter/kernels/python3/kernel.json").read_text())["argv"]
    return [part.replace("{connection_file}", str(tmp_path / name)) for part in command]


@pytest.fixture
def started():
    """Processes a test starts in sessions of their own: killed with their groups however it ends
    (a launcher that fell back is a kernel of its own, which nothing else would stop)."""
    processes: list[subprocess.Popen] = []
    yield processes
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()


def _start_launcher(tmp_path: Path, server: fork_server.ForkServer, name: str, started: list,
                    **variables: str) -> tuple[subprocess.Popen, int]:
    """The kernelspec's command run as jupyter_client runs it, with `variables` added to its
    environment; (the launcher, its forked kernel's pid)."""
    launcher = subprocess.Popen(_launcher(tmp_path, name), cwd=NOTEBOOKS, env={**os.environ, **variables},
                                stdin=subprocess.DEVNULL, start_new_session=True)
    started.append(launcher)
    assert wait_until(lambda: len(_kernels_of(server)) == 1)
    return launcher, _kernels_of(server)[0]


@needs_fork
def test_killing_the_launcher_or_losing_its_parent_ends_the_forked_kernel(tmp_path, monkeypatch, started):
    with render_setup(tmp_path, monkeypatch) as server:
        launcher, kernel = _start_launcher(tmp_path, server, "kkill.json", started)
        launcher.kill()  # jupyter_client's last resort: SIGKILL, which cannot be passed on
        launcher.wait()
        assert wait_until(lambda: not alive(kernel))
        assert wait_until(lambda: _kernels_of(server) == [])

        # A launcher whose parent (the kernel manager, JPY_PARENT_PID) goes once the kernel runs
        # stops its kernel, as ipykernel would.
        parent = subprocess.Popen([sys.executable, "-c", (
            "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, "
            "env={**os.environ, 'JPY_PARENT_PID': str(os.getpid())}); print(p.pid, flush=True); "
            "sys.stdin.readline()"), *_launcher(tmp_path, "korphan.json")],
            cwd=NOTEBOOKS, env=dict(os.environ), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            start_new_session=True)
        started.append(parent)  # its launcher is in its group until it is orphaned
        orphan = int(parent.stdout.readline())
        assert wait_until(lambda: len(_kernels_of(server)) == 1)
        parent.stdin.close()  # the parent ends now, while its launcher and kernel run
        parent.wait()
        assert wait_until(lambda: not alive(orphan))
        assert wait_until(lambda: _kernels_of(server) == [])
        assert server.status()["forked"] == 2


@needs_fork
def test_the_launcher_passes_on_the_kernels_exit_status(tmp_path, monkeypatch, started):
    with render_setup(tmp_path, monkeypatch) as server:
        # JPY_PARENT_PID naming a process that is not its parent (a value inherited from
        # elsewhere) is ignored, as ipykernel ignores it: the kernel keeps running.
        launcher, kernel = _start_launcher(tmp_path, server, "kterm.json", started,
                                           JPY_PARENT_PID=str(server.process.pid))
        time.sleep(2.5 * kernel_launcher.PARENT_CHECK_S)
        assert alive(kernel) and launcher.poll() is None
        os.killpg(kernel, signal.SIGKILL)  # the kernel dies: the launcher dies the same way
        assert launcher.wait(timeout=20) == -signal.SIGKILL


def test_without_a_server_the_launcher_starts_the_usual_kernel(tmp_path: Path, monkeypatch):
    folder = render.write_kernelspec(tmp_path / "jupyter", str(tmp_path / "no-server"))
    monkeypatch.setenv("JUPYTER_PATH", str(folder))
    manager = AsyncKernelManager(kernel_name="python3")

    async def scenario():
        await manager.start_kernel(cwd=str(NOTEBOOKS))
        try:
            lines, _ = await _run(manager, PRELOADED + "\nimport os; print(os.getpid())")
            return lines, manager.provisioner.pid
        finally:
            await manager.shutdown_kernel()

    (preloaded, pid), launched = asyncio.run(scenario())
    assert preloaded == "False"
    assert int(pid) == launched  # the launcher became the kernel (exec): the same process
    # ... and said why, where `render` counts it
    assert render.launcher_fallbacks(str(tmp_path / "no-server")) == [f"no fork server at {tmp_path / 'no-server'}"]


def _stand_in_quarto(folder: Path, exit_code: int = 0) -> Path:
    """A `quarto` that executes the document it is asked to render in its own Python process, as
    Quarto's jupyter.py does, in one format; through benchmarks/quarto-stand-in.sh, a bash script
    exporting Quarto's variables as Quarto's own `quarto` command does."""
    folder.mkdir(parents=True, exist_ok=True)
    info = folder / "execute-info.json"
    info.write_text(json.dumps({"format": {"pandoc": {"to": "html"}}}), encoding="utf-8")
    script = folder / "quarto"
    variables = " ".join(f"{k}={v}" for k, v in render.QUARTO_KERNEL_VARIABLES.items())
    script.write_text(
        "#!/bin/bash\n"
        'if [ "$1" = "--version" ]; then echo 1.11.0; exit 0; fi\n'
        f"export {variables} QUARTO_EXECUTE_INFO={info}\n"
        f'{STAND_IN} --execute "$2" html || exit $?\n'
        f"exit {exit_code}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@needs_fork
def test_render_forks_quartos_kernels_and_stops_the_server(tmp_path: Path, capfd):
    quarto = _stand_in_quarto(tmp_path / "bin")
    assert main(["render", "--quarto", str(quarto), "index.qmd"]) == 0
    out, err = capfd.readouterr()
    assert "stand-in: index.qmd html: Python ready after" in out and "(forked)" in out
    assert "chapter kernels: 1 forked from the fork server" in err
    assert not any(Path(fork_server.private_folder()).glob("fork-*"))  # the server has gone


@needs_fork
def test_render_returns_quartos_exit_code_and_still_stops_the_server(tmp_path: Path, capfd):
    quarto = _stand_in_quarto(tmp_path / "bin", exit_code=3)
    assert main(["render", "--quarto", str(quarto), "notebooks/references.qmd"]) == 3
    assert "chapter kernels: 1 forked" in capfd.readouterr().err
    assert not any(Path(fork_server.private_folder()).glob("fork-*"))


def test_render_says_when_quarto_cannot_be_run(tmp_path: Path, capfd):
    assert main(["render", "--quarto", str(tmp_path / "no-quarto")]) == 127
    assert f"cannot run Quarto at {tmp_path / 'no-quarto'}" in capfd.readouterr().err
