"""Operating-system plumbing: spawn a program in its own session, signal and reap its group.

Each child leads a new session (``start_new_session=True``), so its process group holds it and
everything it forks; signals go to the group, never to one pid.  The supervisor makes itself a
*child subreaper* (Linux), so a grandchild whose parent died is re-parented to us rather than
to PID 1 (which, in containers, often never reaps), and we reap it ourselves: no orphans and no
zombies even when the program's own children outlive it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import functools
import os
import shutil
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_PDEATHSIG = 1


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux only); False where the kernel cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """If the supervisor itself is SIGKILLed, its direct child gets SIGTERM (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


@functools.cache
def _setpriv() -> str | None:
    return shutil.which("setpriv") if sys.platform.startswith("linux") else None


def resolve_executable(name: str, *, cwd: str | None, env: Mapping[str, str]) -> str:
    """The program's path, or the OSError ``exec`` would give (checked before spawning, so a
    missing binary is reported as such rather than as the exit status of a wrapper)."""
    if os.sep in name:
        path = Path(cwd or ".") / name
        if not path.exists():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
        return name
    found = shutil.which(name, path=env.get("PATH", os.defpath))
    if found is None:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return found


async def spawn(
    command: Sequence[str], *, cwd: str | None, env: Mapping[str, str]
) -> asyncio.subprocess.Process:
    """Start ``command`` as the leader of a new session, its output on two pipes.

    The child gets SIGTERM if the supervisor dies (``PR_SET_PDEATHSIG``): through util-linux
    ``setpriv``, which then execs the program under the same pid, when it is installed; else
    through a pre-exec hook, which costs a full ``fork`` of the (large) supervisor process
    instead of ``vfork`` -- some 20 ms per spawn, measured.
    """
    executable = resolve_executable(command[0], cwd=cwd, env=env)
    argv = [executable, *command[1:]]
    preexec = None
    setpriv = _setpriv()
    if setpriv is not None:
        argv = [setpriv, "--pdeathsig", "TERM", "--", *argv]
    elif sys.platform.startswith("linux"):
        preexec = _die_with_parent
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=cwd,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        preexec_fn=preexec,
    )


def group_members(pgid: int) -> list[int]:
    """Every live or zombie pid in process group ``pgid`` (from /proc; empty elsewhere)."""
    members: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return members
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            # Fields after the ")" that closes the command name: state ppid pgrp ...
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                members.append(int(entry.name))
    return members


def signal_group(pgid: int, signum: signal.Signals) -> bool:
    """Send ``signum`` to the whole group; False if the group is already gone."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed credentials; the leader is what we own
        with contextlib.suppress(ProcessLookupError):
            os.kill(pgid, signum)
    return True


def group_alive(pgid: int) -> bool:
    """True while any member of the group exists and is not a zombie."""
    try:
        os.killpg(pgid, 0)  # one syscall: the common answer, "no such group", costs no scan
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return any(_state(pid) not in ("Z", "X", None) for pid in group_members(pgid))


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def reap(pids: Sequence[int]) -> None:
    """Collect the exit status of adopted descendants so none stays a zombie."""
    for pid in pids:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)


async def kill_group(pgid: int, *, leader_pid: int | None = None) -> None:
    """SIGKILL every member of the group and reap the ones we adopted."""
    if not signal_group(pgid, signal.SIGKILL):
        return  # nothing left: the usual case, and no /proc scan needed
    # Killed members stay in the group, as zombies, until reaped: find them now.
    await reap_adopted(group_members(pgid), exclude=leader_pid)


async def reap_adopted(members: Sequence[int], *, exclude: int | None) -> None:
    """Wait (briefly) until killed descendants are re-parented to us, and reap them."""
    others = [pid for pid in members if pid != exclude]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while others and loop.time() < deadline:
        reap(others)
        # Whoever else is the parent (init, a subreaper above us) reaps the rest.
        others = [pid for pid in others if _state(pid) is not None and _parent(pid) != 1]
        if others:
            await asyncio.sleep(0.01)


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def describe_exit(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exited with status {returncode}"
