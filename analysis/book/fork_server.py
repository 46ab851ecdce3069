"""Chapter kernels forked from a process that has already imported the libraries they use.

A fresh Jupyter kernel spends about a second starting (Python, IPython, ipykernel) and another
1.5 s importing pandas, pyarrow, matplotlib and the `analysis` package before a chapter does any
work; a whole-book render starts 27 of them. The fork server pays that once: it is a new Python
process that imports those modules (`PRELOAD`) and nothing else, and each kernel is a `fork()` of
it that then starts ipykernel exactly as `python -m ipykernel_launcher -f FILE` would, with the
environment, working folder and standard streams of the launch it replaces.

Why a forked kernel shares no live state with another kernel or with the command:

- The server runs no analysis: it imports modules (`import` only, no function called; checked by
  `tests/test_fork_server.py`, which also executes chapters both ways and compares every output),
  so what a kernel inherits is the state those modules have right after import, which is what a
  fresh kernel has after the same imports.
- Each kernel is a separate process with a copy-on-write copy of that memory: what one kernel
  changes (a variable, a module attribute, pandas or matplotlib settings) no other process sees.
- Module state that depends on the environment at import is made equal: the server runs in the
  kernels' environment (same variables, `MPLBACKEND` set as ipykernel sets it, `JPY_PARENT_PID`
  the server, which is each kernel's parent), and a launch
  whose environment differs other than in `RUN_TIME_VARIABLES` (read only when a chapter runs) is
  started the usual way instead. Randomness is not shared: Python's `random` reseeds itself in
  a forked child and the server reseeds NumPy's legacy global generator in each kernel. Nothing
  in the chapters draws from either; the synthetic cohort uses its own seeded generator.

The server is started by `execute_sections` and ends with it: it stops when its standard input
closes (the command ended, however it ended), and it kills a kernel whose command connection
closes. Anything the server cannot serve (another kernel command, an unexpected environment, a
server that failed to start) falls back to the ordinary launch, so a chapter always runs.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from analysis.config import DATA_DIR_VARIABLE

#: What the chapters import before their first line of work, imported once by the server.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "matplotlib_inline.backend_inline",
    "analysis.report",
    "analysis.report.sections.cohort",
    "analysis.report.sections.efficacy",
    "analysis.report.sections.subgroups",
    "analysis.report.sections.safety",
    "analysis.report.reproducibility",
    "analysis.stats.key_results",
)

#: Variables a launch may set differently from the server: read when a chapter runs, not when a
#: preloaded module is imported (Quarto's output format; jupyter_client's bookkeeping).
RUN_TIME_VARIABLES = frozenset({"QUARTO_EXECUTE_INFO", "JPY_PARENT_PID", "JPY_SESSION_NAME"})

#: ipykernel's own matplotlib default (ipykernel/kernelapp.py), applied before matplotlib is
#: imported so that its rcParams are what they would be in a fresh kernel.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

_HEADER = struct.Struct("!I")


@lru_cache(maxsize=1)
def private_folder() -> str:
    """A folder only this user can enter (mode 0700), for this process's kernel and server
    sockets and connection files; removed at exit."""
    folder = tempfile.mkdtemp(prefix="tki-kernels-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def kernel_environment(data_dir: str | Path | None) -> dict[str, str]:
    """The environment of a chapter's kernel: this process's, with $TKI_DATA_DIR set to `data_dir`
    (absolute) when given. Passed to the kernel at its start, so nothing here changes os.environ."""
    env = dict(os.environ)
    if data_dir is not None:
        env[DATA_DIR_VARIABLE] = str(Path(data_dir).resolve())
    return env


def _send(connection: socket.socket, message: Mapping[str, object], fds: Sequence[int] = ()) -> None:
    data = json.dumps(message).encode("utf-8")
    payload = _HEADER.pack(len(data)) + data
    if fds:
        socket.send_fds(connection, [payload], list(fds))
    else:
        connection.sendall(payload)


def _receive(connection: socket.socket, max_fds: int = 0) -> tuple[dict | None, list[int]]:
    """One framed JSON message (and up to `max_fds` passed descriptors); None at end of stream."""
    data, fds, _, _ = socket.recv_fds(connection, 65536, max_fds) if max_fds else (
        connection.recv(65536), [], 0, None)
    if not data:
        return None, fds
    while len(data) < _HEADER.size:
        more = connection.recv(65536)
        if not more:
            return None, fds
        data += more
    (length,) = _HEADER.unpack_from(data)
    while len(data) < _HEADER.size + length:
        more = connection.recv(65536)
        if not more:
            return None, fds
        data += more
    return json.loads(data[_HEADER.size:_HEADER.size + length]), fds


def _kernel_arguments(argv: Sequence[str]) -> list[str] | None:
    """The ipykernel arguments of `python -m ipykernel_launcher ARGS` run by this Python, else None."""
    if len(argv) >= 3 and argv[1:3] == ["-m", "ipykernel_launcher"] and \
            os.path.realpath(argv[0]) == os.path.realpath(sys.executable):
        return list(argv[3:])
    return None


def incompatibility(argv: Sequence[str], env: Mapping[str, str], server_env: Mapping[str, str]) -> str | None:
    """Why a launch cannot be forked from a server started in `server_env` (None: it can)."""
    if _kernel_arguments(argv) is None:
        return f"not this Python's ipykernel: {' '.join(argv[:3])}"
    names = (set(env) | set(server_env)) - RUN_TIME_VARIABLES
    differing = sorted(name for name in names if env.get(name) != server_env.get(name))
    if differing:
        return "environment differs from the server's in " + ", ".join(differing)
    return None


# ---------------------------------------------------------------------------------- the server


def _become_kernel(request: dict, fds: list[int], server_files: list) -> None:
    """In the forked child: take the launch's streams, folder and environment, then run ipykernel
    as `python -m ipykernel_launcher` would. Never returns."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client starts kernels
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
            os.close(fd)
        for item in server_files:  # the server's sockets, selector and process descriptors
            os.close(item) if isinstance(item, int) else item.close()
        for number in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        import atexit

        atexit._clear()  # the server's exit handlers are not the kernel's
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits if the server dies
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()  # fresh entropy, as a fresh import would have
        del sys.path[0]  # the server's folder; ipykernel puts the kernel's own back (init_path)
        sys.argv = [sys.modules["ipykernel_launcher"].__file__, *request["arguments"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit

            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str, preload: Sequence[str] = PRELOAD) -> None:
    """Listen on the Unix socket `path`, import `preload`, then fork a kernel per request until
    standard input closes; every kernel still running then is killed."""
    server_env = dict(os.environ)
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    # ipykernel reads its parent's pid when kernelapp is imported: the kernels' parent is this server.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)  # clients may connect and wait while the modules are imported
    import ipykernel_launcher  # noqa: F401  (its file name becomes each kernel's sys.argv[0])

    for name in preload:
        importlib.import_module(name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command stops the server, not Ctrl-C
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, ("stdin", None))
    selector.register(listener, selectors.EVENT_READ, ("listener", None))
    kernels: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)

    def finish(pidfd: int) -> None:
        pid, connection = kernels.pop(pidfd)
        _, status = os.waitpid(pid, 0)
        selector.unregister(pidfd)
        selector.unregister(connection)
        os.close(pidfd)
        try:
            _send(connection, {"exit": os.waitstatus_to_exitcode(status)})
        except OSError:
            pass
        connection.close()

    while True:
        for key, _ in selector.select():
            kind, pidfd = key.data
            if kind == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):
                    for pidfd in list(kernels):
                        _kill(kernels[pidfd][0])
                        finish(pidfd)  # reaped, and its status sent to its command if still there
                    listener.close()
                    os.unlink(path)
                    return
            elif kind == "listener":
                connection, _ = listener.accept()
                connection.settimeout(30)
                try:
                    request, fds = _receive(connection, max_fds=3)
                except OSError:
                    connection.close()
                    continue
                if request is None or len(fds) != 3:
                    for fd in fds:
                        os.close(fd)
                    connection.close()
                    continue
                arguments = _kernel_arguments(request["argv"])
                problem = incompatibility(request["argv"], request["env"], server_env)
                if problem:
                    for fd in fds:
                        os.close(fd)
                    _send(connection, {"fallback": problem})
                    connection.close()
                    continue
                request["arguments"] = arguments
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _become_kernel(request, fds, [listener, selector, connection, *kernels,
                                                  *(c for _, c in kernels.values())])
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                kernels[pidfd] = (pid, connection)
                selector.register(pidfd, selectors.EVENT_READ, ("exited", pidfd))
                selector.register(connection, selectors.EVENT_READ, ("client", pidfd))
                _send(connection, {"pid": pid})
            elif kind == "exited":
                finish(pidfd)
            elif kind == "client":
                # The command sends nothing after its request: readable means it has gone.
                _kill(kernels[pidfd][0])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# ---------------------------------------------------------------------------------- the client


class ForkedKernel:
    """A kernel forked by the server, with the part of `subprocess.Popen` jupyter_client uses.

    Its exit status comes from the server over the launch's connection; signals go to its pid.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, connection: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._connection = connection

    def _collect(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        self._connection.settimeout(timeout)
        try:
            message, _ = _receive(self._connection)
        except (TimeoutError, BlockingIOError):
            return None
        except OSError:
            message = None
        # No status: the server has gone, and with it (ipykernel's parent check) the kernel.
        self.returncode = int(message["exit"]) if message and "exit" in message else -signal.SIGKILL
        self._connection.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._collect(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._collect(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(["forked kernel", str(self.pid)], timeout or 0)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """The server process of one command: started with the kernels' environment, stopped by `close`.

    `launch` returns a `ForkedKernel`, or None when the launch must be started the usual way (its
    reason is kept in `fallbacks`).
    """

    def __init__(self, folder: str | Path, env: Mapping[str, str], preload: Sequence[str] = PRELOAD,
                 startup_timeout: float = 120.0) -> None:
        self.path = str(Path(folder) / f"fork-{os.urandom(4).hex()}")
        self.env = dict(env)
        self.startup_timeout = startup_timeout
        self.fallbacks: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "analysis.book.fork_server", self.path, *preload],
            stdin=subprocess.PIPE, env=self.env, start_new_session=True)

    def _connect(self) -> socket.socket | None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.connect(self.path)
                return connection
            except (FileNotFoundError, ConnectionRefusedError):
                connection.close()
                time.sleep(0.01)
        return None

    def launch(self, argv: Sequence[str], env: Mapping[str, str], cwd: str | Path | None = None,
               ) -> ForkedKernel | None:
        """Fork a kernel for the launch `argv` with `env` in `cwd`; None if it cannot be forked."""
        problem = incompatibility(argv, env, self.env)
        connection = None if problem else self._connect()
        if connection is None:
            self.fallbacks.append(problem or "the fork server is not running")
            return None
        try:
            connection.settimeout(self.startup_timeout)  # the server may still be importing
            _send(connection, {"argv": list(argv), "env": dict(env), "cwd": str(cwd or os.getcwd())},
                  fds=[0, 1, 2])
            reply, _ = _receive(connection)
        except OSError as error:
            connection.close()
            self.fallbacks.append(f"the fork server did not answer: {error}")
            return None
        if not reply or "pid" not in reply:
            connection.close()
            self.fallbacks.append((reply or {}).get("fallback", "the fork server closed the connection"))
            return None
        return ForkedKernel(int(reply["pid"]), connection)

    def close(self) -> None:
        """Stop the server (it kills any kernel still running) and wait for it."""
        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def start(data_dir: str | Path | None) -> ForkServer:
    """The fork server for chapters reading `data_dir`: started now, in their environment, with
    its socket in this process's private folder. It begins importing at once; close it when done."""
    return ForkServer(private_folder(), kernel_environment(data_dir))


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
