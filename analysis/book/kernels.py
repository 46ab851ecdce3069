"""Kernels for the headless chapters: local Unix-socket kernels, started early, run a few at a time.

Each chapter still runs in a fresh kernel of its own (nothing is shared between chapters); this
module only decides how that kernel is reached and when its cells may start:

- `IpcKernelManager` talks to the kernel over Unix domain sockets (ZeroMQ IPC transport) in a
  private temporary folder instead of TCP ports on localhost: no port to find or to race for, no
  "running over TCP without encryption" warning from every kernel, and only this user can connect.
- `StartGate` lets the kernels start while the command validates the data (or loads the render's
  cache): a chapter's first cell waits until the data are ready, and at most `jobs` chapters run
  their cells at once, so starting kernels early overlaps other work without overloading the cores.
"""

from __future__ import annotations

import os
import threading
import uuid

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import CaselessStrEnum, default

from .fork_server import ForkServer, private_folder

#: nbclient's own setting for the kernels it starts: IPython history in memory, no SQLite file.
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, except that the kernel is forked by the manager's fork
    server when it can be (same command, environment and folder, no streams of its own asked
    for), else launched as usual."""

    async def launch_kernel(self, cmd: list[str], **kwargs: object):
        server = getattr(self.parent, "fork_server", None)
        own_streams = any(kwargs.get(k) is not None for k in ("stdin", "stdout", "stderr")) or \
            kwargs.get("independent")
        if server is None or own_streams:
            return await super().launch_kernel(cmd, **kwargs)
        env = kwargs.get("env") or dict(os.environ)
        forked = server.launch(cmd, env, kwargs.get("cwd"))
        if forked is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process, self.pid = forked, forked.pid
        # The kernel leads its own process group (the server waits for that before answering),
        # so signals reach whatever it started too, as for a kernel jupyter_client starts.
        self.pgid = forked.pid
        self.cwd = kwargs.get("cwd") or os.getcwd()
        return self.connection_info


class IpcKernelManager(AsyncKernelManager):
    """A local kernel reached over Unix domain sockets in a private folder (no TCP ports).

    The connection file and its sockets are named `k<8 hex>.json` and `k<8 hex>-ipc-N` there
    (short, as a socket path is limited to about 100 characters). With a `fork_server`, the
    kernel is forked from it (ForkingProvisioner) instead of started from nothing.
    """

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)
    #: The server to fork kernels from (see `forking_from`); None: start them from nothing.
    fork_server: ForkServer | None = None

    @classmethod
    def forking_from(cls, server: ForkServer | None) -> type[IpcKernelManager]:
        """This manager class with kernels forked from `server` (nbclient takes a class, and shuts
        down only the kernels of managers it made itself)."""
        if server is None:
            return cls
        return type(f"{cls.__name__}ForkingFrom", (cls,), {"fork_server": server})

    @default("connection_file")
    def _private_connection_file(self) -> str:
        return os.path.join(private_folder(), f"k{uuid.uuid4().hex[:8]}.json")

    async def _async_pre_start_kernel(self, **kw: object):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or str(kw.pop("kernel_id", None) or uuid.uuid4())
            self.provisioner = ForkingProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                  parent=self)
        return await super()._async_pre_start_kernel(**kw)


class DataNotReady(RuntimeError):
    """The command could not prepare the data, so no chapter may run."""


class StartGate:
    """Holds each chapter's first cell until the data are ready and its turn has come.

    `open()` once the data are validated; `fail()` if they are not (every waiting chapter then
    raises `DataNotReady` and its kernel is shut down). Chapters take their turns in the order of
    their `turn` numbers (0, 1, 2, ...), at most `jobs` at a time, whichever kernel is ready first.
    """

    def __init__(self, jobs: int = 1, ready: bool = False) -> None:
        self._jobs = max(1, jobs)
        self._condition = threading.Condition()
        self._ready = ready
        self._next_turn = 0
        self._running = 0
        self._skipped: set[int] = set()
        self._problem: str | None = None

    def open(self) -> None:
        """The data are ready: chapters may run."""
        with self._condition:
            self._ready = True
            self._condition.notify_all()

    def fail(self, problem: str) -> None:
        """The data are not usable: every chapter stops before its first cell."""
        with self._condition:
            self._problem, self._ready = problem, True
            self._condition.notify_all()

    def enter(self, turn: int | None = None) -> None:
        """Wait for the data, then for this chapter's turn and a free slot (before its first cell).

        Without a turn number the chapter goes when a slot is free.
        """
        with self._condition:
            self._condition.wait_for(lambda: self._ready and (self._problem is not None or (
                self._running < self._jobs and turn in (None, self._next_turn))))
            if self._problem is not None:
                raise DataNotReady(self._problem)
            self._running += 1
            if turn is not None:
                self._advance()
                self._condition.notify_all()  # the next turn may be waiting for a free slot already

    def skip(self, turn: int) -> None:
        """A chapter that stopped before its first cell gives up its turn, so the next ones go."""
        with self._condition:
            self._skipped.add(turn)
            if turn == self._next_turn:
                self._advance()
            self._condition.notify_all()

    def _advance(self) -> None:
        self._next_turn += 1
        while self._next_turn in self._skipped:
            self._next_turn += 1

    def leave(self) -> None:
        """Free the slot taken by `enter` (a chapter calls this when its cells are done)."""
        with self._condition:
            self._running -= 1
            self._condition.notify_all()
