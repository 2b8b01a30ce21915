"""One face-model call at a time per process, whatever the worker pool.

dlib's detector and encoder are not safe to run concurrently in one process: two overlapping
calls corrupted the heap of a worker once. Every caller goes through ``face_model_turn``; a
worker pool gets its parallelism from processes (prefork), never from threads.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_FACE_MODEL_LOCK = threading.Lock()


@contextmanager
def face_model_turn() -> Iterator[None]:
    """Hold the process's face model for the block."""
    with _FACE_MODEL_LOCK:
        yield


def face_model_busy() -> bool:
    """Return whether some thread of this process is using the face model now."""
    return _FACE_MODEL_LOCK.locked()
