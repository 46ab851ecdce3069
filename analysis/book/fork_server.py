"""Chapter kernels forked from a process that has already imported the libraries they use.

A fresh Jupyter kernel spends about a second starting (Python, IPython, ipykernel) and another
1.5 s importing pandas, pyarrow, matplotlib and the `analysis` package before a chapter does any
work; a whole-book render starts 27 of them. The fork server pays that once: it is a new Python
process that imports those modules (`PRELOAD`) and nothing else, and each kernel is a `fork()` of
it that then starts ipykernel exactly as `python -m ipykernel_launcher -f FILE` would, with the
environment, working folder and standard streams of the launch it replaces.

Why a forked kernel shares no live state with another kernel or with the command:

- The server runs no analysis: `serve` imports the modules of `PRELOAD` and calls none of their
  functions, so what a kernel inherits is the state those modules have right after import, which
  is what a fresh kernel has after the same imports (`tests/test_fork_server.py` executes
  chapters both ways and compares every output, figures byte for byte).
- Each kernel is a separate process with a copy-on-write copy of that memory: what one kernel
  changes (a variable, a module attribute, pandas or matplotlib settings) no other process sees.
- Module state that depends on the environment at import is made equal: the server runs in the
  kernels' environment and working folder (same variables, `MPLBACKEND` set as ipykernel sets
  it, `JPY_PARENT_PID` the server, which is each kernel's parent), and a launch whose
  environment differs other than in `RUN_TIME_PREFIXES` (read only when a chapter runs) and a
  shell's bookkeeping (`SHELL_VARIABLES`), or
  whose folder differs and holds a `matplotlibrc`, is started the usual way instead.
  Randomness is not shared: Python's `random` reseeds itself in a forked child and the server
  reseeds NumPy's legacy global generator in each kernel. Nothing in the chapters draws from
  either; the synthetic cohort uses its own seeded generator.

The server is started by `execute_sections`, or by `render` for Quarto's kernels (through
`kernel_launcher`), and ends with it: it stops when its standard input closes (the command
ended, however it ended), and it kills a kernel whose command connection closes. Anything the
server cannot serve (another kernel command, an unexpected environment, a server that failed to
start) falls back to the ordinary launch, so a chapter always runs.
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
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from analysis.config import DATA_DIR_VARIABLE, NOTEBOOKS

#: Where kernels can be forked: Linux (process descriptors, descriptor passing over Unix sockets;
#: on macOS, forking a process that has loaded system frameworks is not safe). Elsewhere every
#: kernel is started the usual way.
SUPPORTED = sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")

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

#: Variables a launch may set differently from the server, by prefix: read when a chapter runs,
#: never when a preloaded module is imported. Quarto's own (QUARTO_*: its paths, each render's
#: format and figure size; DENO_*: its runtime, set by the `quarto` script) and jupyter_client's
#: bookkeeping (JPY_*). The kernel gets the launch's values of these, as of every variable.
RUN_TIME_PREFIXES = ("QUARTO_", "DENO_", "JPY_")
#: A shell's own bookkeeping, changed by every shell script on the way (Quarto's `quarto` command
#: is a bash script: it raises SHLVL and sets `_`); no preloaded module reads them.
SHELL_VARIABLES = frozenset({"_", "SHLVL", "PWD", "OLDPWD"})

#: ipykernel's own matplotlib default (ipykernel/kernelapp.py), applied before matplotlib is
#: imported so that its rcParams are what they would be in a fresh kernel. Quarto sets the same
#: value for its kernels; unset or empty means the same (ipykernel then sets it).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

#: What matplotlib reads from the current folder when it is imported; the only file a preloaded
#: module reads there (modules come from the environment, where the project is installed).
FOLDER_CONFIGURATION = "matplotlibrc"

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


class _Channel:
    """Length-prefixed JSON messages over a Unix socket, buffered: a read never loses the bytes of
    the next message, and a read that times out keeps what it has for the next try."""

    MAX_MESSAGE = 1 << 20

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.buffer = b""
        self.fds: list[int] = []

    def send(self, message: Mapping[str, object], fds: Sequence[int] = ()) -> None:
        data = json.dumps(message).encode("utf-8")
        payload = _HEADER.pack(len(data)) + data
        self.connection.settimeout(30)
        sent = socket.send_fds(self.connection, [payload], list(fds)) if fds else 0
        self.connection.sendall(payload[sent:])

    def read(self, timeout: float | None, max_fds: int = 0) -> dict | None:
        """The next message (None at end of stream); TimeoutError if none is complete in time.
        Descriptors passed with it (up to `max_fds`) are added to `.fds`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if len(self.buffer) >= _HEADER.size:
                (length,) = _HEADER.unpack_from(self.buffer)
                if length > self.MAX_MESSAGE:
                    raise ValueError(f"message of {length} bytes")
                if len(self.buffer) >= _HEADER.size + length:
                    body = self.buffer[_HEADER.size:_HEADER.size + length]
                    self.buffer = self.buffer[_HEADER.size + length:]
                    message = json.loads(body)
                    if not isinstance(message, dict):
                        raise ValueError("not a JSON object")
                    return message
            self.connection.settimeout(None if deadline is None else max(0.0, deadline - time.monotonic()))
            try:
                if max_fds:
                    data, fds, _, _ = socket.recv_fds(self.connection, 65536, max_fds)
                    self.fds.extend(fds)
                else:
                    data = self.connection.recv(65536)
            except (TimeoutError, BlockingIOError):
                raise TimeoutError("no complete message in time") from None
            if not data:
                return None
            self.buffer += data

    def close(self) -> None:
        for fd in self.fds:
            os.close(fd)
        self.fds = []
        self.connection.close()


def _kernel_arguments(argv: Sequence[str]) -> list[str] | None:
    """The ipykernel arguments of `python -m ipykernel_launcher ARGS` run by this Python (this
    virtual environment's, so symbolic links are not followed), else None."""
    if len(argv) >= 3 and list(argv[1:3]) == ["-m", "ipykernel_launcher"] and \
            os.path.abspath(argv[0]) == os.path.abspath(sys.executable):
        return list(argv[3:])
    return None


def incompatibility(argv: Sequence[str], env: Mapping[str, str], server_env: Mapping[str, str],
                    cwd: str | None = None, server_cwd: str | None = None) -> str | None:
    """Why a launch cannot be forked from a server started in `server_env` and `server_cwd`
    (None: it can). The folder matters as the environment does: matplotlib reads a
    `matplotlibrc` in the current folder when it is imported."""
    if _kernel_arguments(argv) is None:
        return f"not this Python's ipykernel: {' '.join(argv[:3])}"
    launch, server = _import_time_environment(env), _import_time_environment(server_env)
    differing = sorted(name for name in set(launch) | set(server) if launch.get(name) != server.get(name))
    if differing:
        return "environment differs from the server's in " + ", ".join(differing)
    if cwd is not None and server_cwd is not None and os.path.abspath(cwd) != os.path.abspath(server_cwd):
        for folder in (cwd, server_cwd):
            if (Path(folder) / FOLDER_CONFIGURATION).exists():
                return (f"working folder {cwd} is not the server's ({server_cwd}), and "
                        f"{Path(folder) / FOLDER_CONFIGURATION} is read at import")
    return None


def _import_time_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of `env` that can matter when the preloaded modules are imported."""
    kept = {name: value for name, value in env.items()
            if not name.startswith(RUN_TIME_PREFIXES) and name not in SHELL_VARIABLES}
    kept["MPLBACKEND"] = kept.get("MPLBACKEND") or INLINE_BACKEND
    return kept


# ---------------------------------------------------------------------------------- the server


def _become_kernel(request: dict, fds: list[int], started: int, server_files: list) -> None:
    """In the forked child: lead a new session (then tell the server through `started`), take the
    launch's streams, folder and environment, and run ipykernel as `python -m ipykernel_launcher`
    would. Never returns."""
    code = 1
    try:
        os.setsid()  # its own session and process group, as jupyter_client starts kernels
        os.close(started)  # the server may now answer with this pid: signals reach the group
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
            os.close(fd)
        for item in server_files:  # the server's sockets, selector and process descriptors
            os.close(item) if isinstance(item, int) else item.close()
        for number in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = str(os.getppid())  # ipykernel exits if the server dies
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()  # fresh entropy, as a fresh import would have
        if sys.modules.get("rfc3987_syntax", False) is None:
            # analysis.book, imported to run this server, marks that module absent; a fresh
            # kernel has no such mark (it is set again if a chapter imports analysis.book).
            del sys.modules["rfc3987_syntax"]
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
            # As the interpreter ends a fresh kernel: join its threads, then run its exit handlers
            # (those of the preloaded modules too: a fresh kernel registers the same ones).
            import atexit
            import threading

            threading._shutdown()  # type: ignore[attr-defined]
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _valid_request(request: object) -> bool:
    return (isinstance(request, dict) and isinstance(request.get("cwd"), str)
            and isinstance(request.get("argv"), list) and all(isinstance(a, str) for a in request["argv"])
            and isinstance(request.get("env"), dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in request["env"].items()))


class _Kernel:
    """A forked kernel as the server tracks it, until its command has closed the connection."""

    def __init__(self, pid: int, pidfd: int, channel: _Channel) -> None:
        self.pid, self.pidfd, self.channel = pid, pidfd, channel
        self.exited = False


def _kill(pid: int) -> None:
    """SIGKILL to the kernel's process group (it leads one), else to the kernel alone."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except (ProcessLookupError, PermissionError):
            continue


def serve(path: str, preload: Sequence[str] = PRELOAD) -> None:
    """Listen on the Unix socket `path`, import `preload`, then fork a kernel per request until
    standard input closes; every kernel still running then is killed. A `{"status": true}`
    request is answered with the number of kernels forked and the reasons of launches refused.

    One event at a time, in one thread (a fork needs a single-threaded parent). An exited
    kernel stays a zombie, its status sent to its command, until the command closes the
    connection, so the pid the command signals is never reused meanwhile. A failure while
    serving one request closes that request only.
    """
    server_env, server_cwd = dict(os.environ), os.getcwd()
    if not os.environ.get("MPLBACKEND"):
        os.environ["MPLBACKEND"] = INLINE_BACKEND
    # ipykernel reads its parent's pid when kernelapp is imported: the kernels' parent is this server.
    os.environ["JPY_PARENT_PID"] = str(os.getpid())
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)  # clients may connect and wait while the modules are imported
    try:
        _serve(listener, server_env, server_cwd, preload)
    finally:  # however it ends (a failed import too), launchers find no socket and start as usual
        listener.close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass  # the command's private folder is already gone


def _serve(listener: socket.socket, server_env: dict[str, str], server_cwd: str, preload: Sequence[str]) -> None:
    """`serve`, once its socket listens."""
    import ipykernel_launcher  # noqa: F401  (its file name becomes each kernel's sys.argv[0])

    for name in preload:
        importlib.import_module(name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command stops the server, not Ctrl-C
    selector = selectors.DefaultSelector()
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, ("stdin", 0))
    selector.register(listener, selectors.EVENT_READ, ("listener", 0))
    kernels: dict[int, _Kernel] = {}
    tokens = iter(range(1, 1 << 62))

    def forget(token: int) -> None:
        """The command has gone or is done: kill the kernel if it still runs, reap it, close all."""
        kernel = kernels.pop(token)
        if not kernel.exited:
            _kill(kernel.pid)
            selector.unregister(kernel.pidfd)
        os.waitpid(kernel.pid, 0)
        os.close(kernel.pidfd)
        selector.unregister(kernel.channel.connection)
        kernel.channel.close()

    forked, fallbacks = 0, []

    def accept() -> None:
        nonlocal forked
        connection, _ = listener.accept()
        channel = _Channel(connection)
        try:
            request = channel.read(timeout=30, max_fds=3)
            if request == {"status": True} and not channel.fds:
                channel.send({"forked": forked, "fallbacks": fallbacks})
                channel.close()
                return
            if not _valid_request(request) or len(channel.fds) != 3:
                raise ValueError("not a kernel launch")
            problem = incompatibility(request["argv"], request["env"], server_env, request["cwd"], server_cwd)
            if problem:
                fallbacks.append(problem)
                channel.send({"fallback": problem})
                channel.close()
                return
        except Exception:
            channel.close()
            raise
        request["arguments"] = _kernel_arguments(request["argv"])
        fds, channel.fds = channel.fds, []
        sys.stdout.flush()
        sys.stderr.flush()
        started_read, started_write = os.pipe()
        try:
            pid = os.fork()
        except OSError as error:
            for fd in (*fds, started_read, started_write):
                os.close(fd)
            fallbacks.append(f"fork failed: {error}")
            channel.send({"fallback": fallbacks[-1]})
            channel.close()
            return
        if pid == 0:
            os.close(started_read)
            _become_kernel(request, fds, started_write,
                           [listener, selector, channel.connection,
                            *(fd for k in kernels.values() for fd in (k.pidfd, k.channel.connection))])
        for fd in (*fds, started_write):
            os.close(fd)
        os.read(started_read, 1)  # end of file once the child leads its own process group
        os.close(started_read)
        try:
            pidfd = os.pidfd_open(pid)
        except Exception as error:  # OSError; AttributeError where there is no pidfd_open
            _kill(pid)
            os.waitpid(pid, 0)
            fallbacks.append(f"no process descriptor: {error}")
            channel.send({"fallback": fallbacks[-1]})
            channel.close()
            return
        token = next(tokens)
        forked += 1
        kernels[token] = _Kernel(pid, pidfd, channel)
        selector.register(pidfd, selectors.EVENT_READ, ("exited", token))
        selector.register(connection, selectors.EVENT_READ, ("client", token))
        channel.send({"pid": pid})  # if this fails, the connection reads as closed: `forget`

    def exited(token: int) -> None:
        kernel = kernels[token]
        status = os.waitid(os.P_PID, kernel.pid, os.WEXITED | os.WNOWAIT)  # still a zombie
        kernel.exited = True
        selector.unregister(kernel.pidfd)
        code = status.si_status if status.si_code == os.CLD_EXITED else -status.si_status
        try:
            kernel.channel.send({"exit": code})
        except OSError:
            pass  # the command has gone: its connection reads as closed next

    while True:
        for key, _ in selector.select():
            kind, token = key.data
            if kind == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):
                    for token in list(kernels):
                        forget(token)
                    return
                continue
            if kind != "listener" and token not in kernels:
                continue  # an event of a kernel forgotten earlier in this round
            try:
                if kind == "listener":
                    accept()
                elif kind == "exited":
                    exited(token)
                else:  # "client": the command sends nothing after its request, so it has gone
                    forget(token)
            except Exception as error:  # one request's failure must not stop the other kernels
                print(f"fork server: {kind}: {error.__class__.__name__}: {error}", file=sys.stderr)


# ---------------------------------------------------------------------------------- the client


class ForkedKernel:
    """A kernel forked by the server, with the part of `subprocess.Popen` jupyter_client uses.

    Its exit status comes from the server over the launch's connection; the server keeps the
    exited kernel unreaped until this connection closes, so its pid stays valid for signals.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, channel: _Channel) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._channel = channel

    def _collect(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            message = self._channel.read(timeout)
        except TimeoutError:
            return None
        except (OSError, ValueError):
            message = None
        # No status: the server has gone, and with it (ipykernel's parent check) the kernel.
        self.returncode = int(message["exit"]) if message and "exit" in message else -signal.SIGKILL
        self._channel.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._collect(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._collect(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(["forked kernel", str(self.pid)], timeout or 0)
        return code

    def release(self) -> None:
        """Close the launch's connection: the server then kills the kernel if it still runs."""
        if self.returncode is None:
            self.returncode = -signal.SIGKILL
            self._channel.close()

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def connect(path: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> socket.socket | None:
    """A connection to the server listening at `path`, waiting up to `timeout` seconds for it to
    listen while `alive()`; None if it does not."""
    deadline = time.monotonic() + timeout
    while True:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(path)
            return connection
        except (FileNotFoundError, ConnectionRefusedError):
            connection.close()
            if time.monotonic() >= deadline or not alive():
                return None
            time.sleep(0.01)


def request_kernel(connection: socket.socket, argv: Sequence[str], env: Mapping[str, str], cwd: str,
                   streams: Sequence[int], timeout: float) -> ForkedKernel | str:
    """Ask the server on `connection` to fork the kernel of the launch `argv` with `env` in `cwd`,
    its standard input, output and errors the descriptors `streams`: the kernel, else why not."""
    channel = _Channel(connection)
    try:
        channel.send({"argv": list(argv), "env": dict(env), "cwd": cwd}, fds=list(streams))
        reply = channel.read(timeout)  # the server may still be importing
    except (OSError, ValueError) as error:
        channel.close()
        return f"the fork server did not answer: {error}"
    if not reply or "pid" not in reply:
        channel.close()
        return str((reply or {}).get("fallback", "the fork server closed the connection"))
    return ForkedKernel(int(reply["pid"]), channel)


def server_status(path: str, timeout: float = 30.0) -> dict | None:
    """What the server at `path` has done: {"forked": n, "fallbacks": [reasons]}; None if it does
    not answer."""
    connection = connect(path, 0)
    if connection is None:
        return None
    channel = _Channel(connection)
    try:
        channel.send({"status": True})
        return channel.read(timeout)
    except (OSError, ValueError):
        return None
    finally:
        channel.close()


class ForkServer:
    """The server process of one command: started with the kernels' environment and working
    folder, stopped by `close`.

    `launch` returns a `ForkedKernel`, or None when the launch must be started the usual way (its
    reason is kept in `fallbacks`).
    """

    def __init__(self, folder: str | Path, env: Mapping[str, str], cwd: str | Path | None = None,
                 preload: Sequence[str] = PRELOAD, startup_timeout: float = 120.0) -> None:
        self.path = str(Path(folder) / f"fork-{os.urandom(4).hex()}")
        self.env = dict(env)
        self.cwd = os.path.abspath(cwd or os.getcwd())
        self.startup_timeout = startup_timeout
        self.fallbacks: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "analysis.book.fork_server", self.path, *preload],
            stdin=subprocess.PIPE, env=self.env, cwd=self.cwd, start_new_session=True)

    def launch(self, argv: Sequence[str], env: Mapping[str, str], cwd: str | Path | None = None,
               ) -> ForkedKernel | None:
        """Fork a kernel for the launch `argv` with `env` in `cwd`; None if it cannot be forked.

        Its standard input is /dev/null (a fresh kernel's is a closed pipe: both read nothing);
        its output and errors go where this process's descriptors 1 and 2 go, as a started
        kernel's do (whatever sys.stdout is, e.g. under pytest's capture).
        """
        cwd = str(cwd or os.getcwd())
        problem = incompatibility(argv, env, self.env, cwd, self.cwd)
        connection = None if problem else \
            connect(self.path, self.startup_timeout, lambda: self.process.poll() is None)
        if connection is None:
            self.fallbacks.append(problem or "the fork server is not running")
            return None
        with open(os.devnull, "rb") as nothing:
            kernel = request_kernel(connection, argv, env, cwd,
                                    [nothing.fileno(), 1, 2],
                                    self.startup_timeout)
        if isinstance(kernel, str):
            self.fallbacks.append(kernel)
            return None
        return kernel

    def wait_listening(self, timeout: float = 30.0) -> bool:
        """Wait until the server's socket exists (it listens from then on, before it imports
        anything): a launcher started after this finds it."""
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.path):
            if self.process.poll() is not None or time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def status(self, timeout: float = 5.0) -> dict | None:
        """What the server has done so far (see `server_status`); None if it does not answer
        within `timeout` seconds (it answers once its imports are done)."""
        return server_status(self.path, timeout) if self.process.poll() is None else None

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


def start(data_dir: str | Path | None) -> ForkServer | None:
    """The fork server for chapters reading `data_dir`: started now, in their environment and
    working folder (notebooks/), its socket in this process's private folder. It begins
    importing at once; close it when done. None where kernels cannot be forked (`SUPPORTED`)."""
    if not SUPPORTED:
        return None
    return ForkServer(private_folder(), kernel_environment(data_dir), cwd=NOTEBOOKS)


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2:])
