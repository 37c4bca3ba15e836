"""Ordered parallel maps: over worker processes, for decoding many photos; over threads, for
OpenCV work on state already in this process (`threaded_map`).

Workers are spawned, not forked: a forked child of a process that has run torch can hang in
torch's thread pools (seen here with ProcessPoolExecutor). Each worker uses one thread.

    results = parallel_map(inspect_sample, samples, workers=2)   # same order as samples
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """CPU cores this process may use (a container's share, not the host's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent died (killed, crashed) exits instead of lingering as an orphan."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(parent: int) -> None:
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with albumentations
        pass


def _run_chunk(function: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [function(item) for item in chunk]


def parallel_map(
    function: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    chunksize: int = 8,
    prefetch: int = 4,
) -> Iterator[R]:
    """`map(function, items)` over `workers` spawned processes (0: in this process), in order.

    At most `workers * prefetch` chunks are in flight, so an endless or huge `items` stream uses
    bounded memory. `function` must be importable (module level) and its results picklable.
    The first chunk runs in this process while the workers start (a spawned worker takes about
    half a second to import what it needs): the first result comes that much sooner.
    """
    if workers <= 0:
        yield from map(function, items)
        return
    context = multiprocessing.get_context("spawn")
    iterator = iter(items)
    chunks = iter(lambda: list(itertools.islice(iterator, chunksize)), [])
    first = next(chunks, [])
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    ) as pool:
        call = partial(_run_chunk, function)
        pending = _submitted(pool, call, chunks, workers * prefetch)  # workers start on these
        yield from _run_chunk(function, first)
        for results in _in_order(pool, call, chunks, pending):
            yield from results


def _submitted(pool: Executor, call: Callable[[T], R], items: Iterator[T], window: int) -> deque:
    """The futures of `call` on the first `window` of `items`, submitted to `pool`."""
    return deque(pool.submit(call, item) for item in itertools.islice(items, window))


def _in_order(
    pool: Executor, call: Callable[[T], R], items: Iterator[T], pending: deque
) -> Iterator[R]:
    """The results of `pending` futures in order, one more of `items` submitted for each taken
    (as many in flight as were pending); those not started are cancelled when the consumer
    stops early or a call fails."""
    try:
        while pending:
            result = pending.popleft().result()
            for item in itertools.islice(items, 1):
                pending.append(pool.submit(call, item))
            yield result
    finally:
        for future in pending:
            future.cancel()


_DONE = object()


def in_thread(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """`items`, produced by a background thread up to `depth` ahead of the consumer.

    For work that releases the GIL (Pillow decoding, OpenCV, numpy) next to other such work in
    this thread (an ONNX Runtime session): the two overlap without a worker process to start.
    An exception in `items` is raised here, at the item it replaced; a consumer that stops
    early stops the thread.
    """
    ready: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            put((None, error))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, daemon=True, name="in-thread")
    thread.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def threaded_map(
    function: Callable[[T], R], items: Iterable[T], workers: int, ahead: int = 4
) -> Iterator[R]:
    """`map(function, items)` over `workers` threads of this process, in order, at most
    `workers * ahead` calls in flight. For work that releases the GIL (OpenCV, numpy) and
    reads state a spawned process would have to rebuild; `workers` <= 1 maps in this thread.
    An exception in `function` is raised here, at its item; calls not yet started are dropped."""
    if workers <= 1:
        yield from map(function, items)
        return
    iterator = iter(items)
    with ThreadPoolExecutor(workers, thread_name_prefix="threaded-map") as pool:
        yield from _in_order(
            pool, function, iterator, _submitted(pool, function, iterator, workers * ahead)
        )
