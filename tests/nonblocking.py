"""Running code that must not block on a FIFO, without hanging the suite
when it does."""

import os
import threading

import pytest


def in_thread(function, *args, unblock=None, **kwargs):
    """Runs `function`, failing the test if it blocks (on `unblock`, a FIFO
    it should not have opened: a writer is opened on it to let it go)."""
    result = {}

    def target():
        try:
            result["value"] = function(*args, **kwargs)
        except Exception as error:  # reported below
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=60)
    if thread.is_alive():
        if unblock is not None:
            os.close(os.open(unblock, os.O_WRONLY | os.O_NONBLOCK))
            thread.join(timeout=10)
        pytest.fail(f"{function.__name__} blocked")
    if "error" in result:
        raise result["error"]
    return result["value"]
