"""Read a zip member ahead, and write one behind, in threads of their own.

Rewriting the campaign sheet is parsing (Python, holding the GIL) between inflating the
old part and deflating the new one; zlib releases the GIL while it works, so with a
second core those two run beside the parse instead of after it: about a second of a
100,000-row sheet. Each side hands bytes over through a short queue (a few megabytes at
most in flight), and an error on either side reaches the caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO

__all__ = ["read_ahead", "write_behind"]

_CHUNK = 1 << 20
_DEPTH = 4  # chunks in flight
_POLL_S = 0.1


class _ReadAhead:
    """``read()`` returns the source's next chunk, read by a thread (b"" at the end)."""

    def __init__(self, source: IO[bytes]) -> None:
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(_DEPTH)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(source,), daemon=True)
        self._thread.start()

    def _run(self, source: IO[bytes]) -> None:
        try:
            while not self._stop.is_set():
                chunk = source.read(_CHUNK)
                self._put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the reader, which raises it
            self._put(exc)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                continue

    def read(self, _size: int = -1) -> bytes:
        if self._done:
            return b""
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if not item:
            self._done = True
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class _WriteBehind:
    """``write()`` queues bytes that a thread writes to the sink; ``close()`` waits for it."""

    def __init__(self, sink: IO[bytes]) -> None:
        self._queue: queue.Queue[bytes | None] = queue.Queue(_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(sink,), daemon=True)
        self._thread.start()

    def _run(self, sink: IO[bytes]) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            if self._error is None:
                try:
                    sink.write(data)
                except BaseException as exc:  # raised to the writer at its next write
                    self._error = exc

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        self._queue.put(data)
        return len(data)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


@contextmanager
def read_ahead(source: IO[bytes]) -> Iterator[IO[bytes]]:
    """``source`` read by a thread of its own (only ``read()`` is offered)."""
    reader = _ReadAhead(source)
    try:
        yield reader  # type: ignore[misc]  # an IO[bytes] as far as read() goes
    finally:
        reader.close()


@contextmanager
def write_behind(sink: IO[bytes]) -> Iterator[IO[bytes]]:
    """``sink`` written by a thread of its own; everything is written on a normal exit."""
    writer = _WriteBehind(sink)
    try:
        yield writer  # type: ignore[misc]  # an IO[bytes] as far as write() goes
    except BaseException:
        with suppress(BaseException):  # the first error is the one to report
            writer.close()
        raise
    writer.close()
