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
kernel (exec of the command after `--`) and says why on standard error: a chapter always runs.
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
#: How long the server may take to answer (it may still be importing when the render begins).
ANSWER_TIMEOUT_S = 120.0


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


def stand_in(kernel: ForkedKernel) -> int:
    """Pass signals on to `kernel` until it exits; its exit status (negative: killed by that
    signal). If this process's parent goes first, the kernel is stopped."""
    # As ipykernel watches its parent (ParentPollerUnix): jupyter_client names itself in
    # JPY_PARENT_PID; if that is not this process's parent (a value inherited from elsewhere, or
    # a parent gone already), only being adopted by init (ppid 1) counts as the parent gone.
    parent = int(os.environ.get("JPY_PARENT_PID") or 0)
    if parent != os.getppid():
        parent = 0

    def forward(signum: int, _frame: object) -> None:
        try:
            os.killpg(kernel.pid, signum)  # the kernel leads its own process group
        except ProcessLookupError:
            pass  # it has just exited: its status is on the way

    for number in FORWARDED:
        signal.signal(number, forward)
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
    os.kill(os.getpid(), -code)
    sys.exit(128 - code)  # a signal that does not end a process by default


def main(argv: Sequence[str]) -> None:
    socket_path, command = parse(argv)
    kernel = forked_kernel(socket_path, command)
    if isinstance(kernel, str):
        print(f"kernel started without the fork server: {kernel}", file=sys.stderr, flush=True)
        os.execv(command[0], command)
    exit_as(stand_in(kernel))


if __name__ == "__main__":
    main(sys.argv[1:])
