"""The kernel command of a render's kernelspec: a kernel forked from the render's fork server, else
the usual ipykernel.

    python -m analysis.book.kernel_launcher SOCKET -- PYTHON -m ipykernel_launcher -f FILE

Quarto starts its kernels through jupyter_client, from a kernelspec; `render` gives it one whose
command is this. The launcher asks the fork server listening at SOCKET for the kernel of the
command after `--`, with the launcher's own standard streams, environment and working folder
(the server refuses a launch it cannot fork exactly: `fork_server.incompatibility`). Then it
stands in for that kernel, so that jupyter_client manages it as the kernel it started:

- a signal sent to the launcher (interrupt, terminate, hang-up) goes to the kernel's process
  group, as jupyter_client sends it to a kernel it started itself;
- it exits when the kernel exits, with the kernel's status;
- killed itself (jupyter_client's last resort), its connection closes and the server kills the
  kernel; if its parent goes (the kernel manager ended), it stops the kernel and exits, as
  ipykernel does when its parent goes.

When there is no server at SOCKET, or it cannot serve this launch, the launcher becomes the usual
kernel (exec of the command after `--`) and says why (on standard error, and to `render` in
`SOCKET.fallbacks`): a chapter always runs.
Standard library and `fork_server` only, so that it starts in a few hundredths of a second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from analysis.book.fork_server import ForkedKernel, connect, request_kernel

#: Signals passed on to the kernel's process group (SIGKILL cannot be caught: see the module text).
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
#: How often (seconds) the launcher checks that its parent is still there.
PARENT_CHECK_S = 1.0
#: How long the server may take to answer (it may still be importing when the render begins);
#: well under nbclient's 60 s for a kernel to start, so that the usual kernel still has time.
ANSWER_TIMEOUT_S = 30.0


def parse(argv: Sequence[str]) -> tuple[str, list[str]]:
    """(SOCKET, kernel command) from `SOCKET -- COMMAND...`."""
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit("usage: python -m analysis.book.kernel_launcher SOCKET -- KERNEL COMMAND...")
    return argv[0], list(argv[2:])


def forked_kernel(socket_path: str, command: Sequence[str]) -> ForkedKernel | str:
    """The kernel forked for `command` in this process's surroundings, else why not."""
    # No socket: no server. A socket that refuses: the server is between binding and listening.
    connection = connect(socket_path, 1.0, alive=lambda: os.path.exists(socket_path))
    if connection is None:
        return f"no fork server at {socket_path}"
    return request_kernel(connection, command, dict(os.environ), os.getcwd(), (0, 1, 2), ANSWER_TIMEOUT_S)


def watched_parent() -> int:
    """The parent to watch, as ipykernel watches it (ParentPollerUnix): jupyter_client names
    itself in JPY_PARENT_PID; if that is not this process's parent (a value inherited from
    elsewhere, or a parent gone already), 0: then only adoption by init (ppid 1) means it went."""
    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    return parent if parent == os.getppid() else 0


def stand_in(kernel: ForkedKernel, parent: int) -> int:
    """Pass signals on to `kernel` until it exits; its exit status (negative: killed by that
    signal). If `parent` (see `watched_parent`) goes first, the kernel is stopped. Signals
    held back while the kernel was being forked are passed on first."""

    def forward(signum: int, _frame: object) -> None:
        try:
            os.killpg(kernel.pid, signum)  # the kernel leads its own process group
        except ProcessLookupError:
            pass  # it has just exited: its status is on the way

    for number in FORWARDED:
        signal.signal(number, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
    while True:
        try:
            return kernel.wait(PARENT_CHECK_S)
        except subprocess.TimeoutExpired:
            pass
        ppid = os.getppid()
        if (parent and ppid != parent) or (not parent and ppid == 1):
            kernel.release()  # the server kills a kernel whose launch connection closes
            return -signal.SIGKILL


def exit_as(code: int) -> None:
    """End this process as the kernel ended: the same exit code, or killed by the same signal."""
    if code >= 0:
        sys.exit(code)
    for number in FORWARDED:
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [-code])
    os.kill(os.getpid(), -code)
    sys.exit(128 - code)  # a signal that does not end a process by default


def note_fallback(socket_path: str, reason: str) -> None:
    """Say why the usual kernel starts: on standard error, and in `SOCKET.fallbacks` beside the
    server's socket (where `render` counts them) while that folder exists."""
    print(f"kernel started without the fork server: {reason}", file=sys.stderr, flush=True)
    try:
        with open(f"{socket_path}.fallbacks", "a", encoding="utf-8") as log:
            log.write(reason.replace("\n", " ") + "\n")
    except OSError:
        pass  # no render is listening for it


def main(argv: Sequence[str]) -> None:
    socket_path, command = parse(argv)
    parent = watched_parent()
    # A signal meant for the kernel that comes while it is being forked waits for it.
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    kernel = forked_kernel(socket_path, command)
    if isinstance(kernel, str):
        note_fallback(socket_path, kernel)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)  # what came meanwhile acts here
        os.execv(command[0], command)
    exit_as(stand_in(kernel, parent))


if __name__ == "__main__":
    main(sys.argv[1:])
