"""What differs between operating systems: how worker processes start and stop, and how the
command stops on a signal.

No process outlives the command that started it. Every pool of worker processes is registered
here; a build that ends in any way (done, failed, interrupted) stops its pools, and the command
stops whatever is left before it exits (`stop_all`). A worker whose parent is gone (killed
with SIGKILL, say) exits by itself: on Linux the kernel tells it at once (PR_SET_PDEATHSIG),
elsewhere a thread in the worker checks twice a second that its parent is still there.

Workers start by `fork` on Linux (faster: they inherit what the parent has loaded) and by
`spawn` everywhere else (there is no fork on Windows, and fork is unsafe on macOS). Two
environment variables change this, mainly for tests:

    BULLETIN_START_METHOD=spawn|fork   how worker processes start
    BULLETIN_PORTABLE=1                behave as on a system without Linux's extra calls: start
                                       workers by spawn, no early parse in a forked process, no
                                       PR_SET_PDEATHSIG (the watching thread instead) and no
                                       renameat2 (the output is swapped by two renames)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator

START_METHODS = ("fork", "spawn")
PARENT_CHECK_SECONDS = 0.5  # how often a worker without PR_SET_PDEATHSIG looks for its parent
STOP_SECONDS = 2.0  # a worker asked to stop (SIGTERM) gets this long before it is killed

# Exit codes of a command stopped by a signal: 128 + the signal's number, as shells report it.
INTERRUPTED = 130  # Ctrl-C (SIGINT)
TERMINATED = 143  # SIGTERM
HUNG_UP = 129  # SIGHUP: the terminal was closed


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM or SIGHUP: the command stops as on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def portable() -> bool:
    """Whether BULLETIN_PORTABLE asks for the paths taken where Linux's extra calls are missing."""
    return os.environ.get("BULLETIN_PORTABLE", "") not in ("", "0")


def start_method() -> str:
    """How worker processes start: fork on Linux (unless BULLETIN_PORTABLE), spawn elsewhere;
    BULLETIN_START_METHOD overrides both."""
    chosen = os.environ.get("BULLETIN_START_METHOD", "").strip().lower()
    if chosen in START_METHODS and chosen in multiprocessing.get_all_start_methods():
        return chosen
    return "fork" if sys.platform.startswith("linux") and not portable() else "spawn"


def can_fork() -> bool:
    """Whether this process may fork a child by hand (see content.EarlyParse)."""
    return start_method() == "fork" and hasattr(os, "fork")


# Worker processes --------------------------------------------------------------------------

_pools: list[ProcessPoolExecutor] = []  # started by this process and not stopped yet
_children: set[int] = set()  # processes forked by hand and not reaped yet
_lock = threading.Lock()


def pool(count: int, initializer: Callable[..., object] | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:  # type: ignore[type-arg]
    """A pool of `count` worker processes, registered until `finish` or `stop`. Submit its work
    inside `starting()`, so that no worker is started while a signal could reach it first."""
    executor = ProcessPoolExecutor(count, multiprocessing.get_context(start_method()), initializer=_start_worker,
                                   initargs=(os.getpid(), use_pdeathsig(), initializer, initargs))
    with _lock:
        _pools.append(executor)
    return executor


def finish(executor: ProcessPoolExecutor) -> None:
    """The pool's work is done: let its workers exit and wait for them."""
    executor.shutdown(wait=True)
    _forget(executor)


def stop(executor: ProcessPoolExecutor) -> None:
    """Stop the pool now, work left or not: its workers are ended and reaped."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    _end(processes)
    _forget(executor)


def _forget(executor: ProcessPoolExecutor) -> None:
    with _lock:
        if executor in _pools:
            _pools.remove(executor)


def _end(processes: list) -> None:  # type: ignore[type-arg]
    """End these multiprocessing processes: SIGTERM, a moment's grace, then SIGKILL; reap them."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
        process.join()


@contextmanager
def scope() -> Iterator[None]:
    """Pools started inside this block and still running when it ends are finished (when it
    ends normally) or stopped (when it ends by an exception: their work is not wanted)."""
    with _lock:
        before = set(map(id, _pools))
    failed = True
    try:
        yield
        failed = False
    finally:
        with _lock:
            started = [p for p in _pools if id(p) not in before]
        for executor in reversed(started):
            if failed:
                stop(executor)
            else:
                finish(executor)


def adopt(pid: int) -> None:
    """A child forked by hand: `stop_all` kills and reaps it if no one else has."""
    with _lock:
        _children.add(pid)


def reaped(pid: int) -> None:
    with _lock:
        _children.discard(pid)


def stop_all() -> None:
    """End and reap every worker process this process started: pools, hand-forked children and
    multiprocessing's resource tracker. After this, no process of the command is left."""
    with _lock:
        pools, children = list(_pools), set(_children)
    for executor in pools:
        stop(executor)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        reaped(pid)
    _end(multiprocessing.active_children())  # any other, e.g. one that a library started
    _stop_resource_tracker()


def _stop_resource_tracker() -> None:
    """multiprocessing starts a tracker process for spawned workers (on POSIX); it holds a copy
    of the command's stderr, so the command waits for it."""
    try:
        from multiprocessing import resource_tracker

        tracker = resource_tracker._resource_tracker
        if getattr(tracker, "_pid", None) is not None:
            tracker._stop()
    except Exception:  # not there on this system or in this version: it exits with us
        pass


@contextmanager
def starting() -> Iterator[None]:
    """Start worker processes inside this block: SIGINT, SIGTERM and SIGHUP wait until it ends
    (a worker inherits the blocked signals and sets up its own handling first), so that a
    Ctrl-C at that moment does not hit a worker half-started."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_STOP_SIGNALS = [s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None),
                             getattr(signal, "SIGHUP", None)) if s is not None]


# In a worker ----------------------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1


def use_pdeathsig() -> bool:
    return sys.platform.startswith("linux") and not portable()


def _set_pdeathsig() -> bool:
    """Ask Linux to kill this process when its parent dies; False where that is not possible."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def watch_parent(parent: int, pdeathsig: bool) -> None:
    """Make this process (a worker of `parent`) exit when its parent is gone."""
    if not (pdeathsig and _set_pdeathsig()):
        threading.Thread(target=_watch, args=(parent,), name="bulletin-parent", daemon=True).start()
    if not _parent_alive(parent):  # gone before anyone could tell
        os._exit(1)


def _parent_alive(parent: int) -> bool:
    if os.name == "nt":
        process = multiprocessing.parent_process()
        return process.is_alive() if process is not None else True
    return os.getppid() == parent  # once the parent is gone, another process adopts this one


def _watch(parent: int) -> None:
    while _parent_alive(parent):
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _start_worker(parent: int, pdeathsig: bool, initializer: Callable[..., object] | None, initargs: tuple) -> None:  # type: ignore[type-arg]
    # Ctrl-C and SIGTERM are the main process's to handle: it stops the build, stops the
    # workers and cleans up. A worker asked to stop (SIGTERM) simply ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    watch_parent(parent, pdeathsig)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    if initializer is not None:
        initializer(*initargs)


# The command's own signals ---------------------------------------------------------------------

_stopping: list[int] = []  # the signal that is stopping the command, once one has


def handle_signals() -> None:
    """SIGTERM and SIGHUP stop the command as Ctrl-C does (an exception in the main thread:
    the build stops, its workers are stopped, the output is left as it was). Only the first
    signal interrupts; later ones do not break the clean-up that follows."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _on_signal)


def _on_signal(signum: int, frame: object) -> None:
    if _stopping:
        return
    _stopping.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def stopped_by() -> int | None:
    """The signal that is stopping the command, if any."""
    return _stopping[0] if _stopping else None


def exit_code(signum: int) -> int:
    return {signal.SIGINT: INTERRUPTED, getattr(signal, "SIGTERM", -1): TERMINATED,
            getattr(signal, "SIGHUP", -2): HUNG_UP}.get(signum, 128 + int(signum))


@contextmanager
def _stop_signals_handled_by(handler: Callable[[int, object], object] | int) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP handled by `handler` inside this block (main thread only:
    elsewhere signals cannot be handled), then as before."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, before in previous.items():
            if before is not None:
                signal.signal(signum, before)


@contextmanager
def quiet_signals() -> Iterator[None]:
    """No signal interrupts this block (the last clean-up before the command exits)."""
    with _stop_signals_handled_by(signal.SIG_IGN):
        yield


@contextmanager
def held_signals() -> Iterator[None]:
    """A signal that stops the command waits until this block is done (a step that must not be
    cut in two), then takes effect as it would have."""
    caught: list[int] = []
    with _stop_signals_handled_by(lambda signum, frame: caught.append(signum)):
        yield
    if caught:
        signal.raise_signal(caught[0])
