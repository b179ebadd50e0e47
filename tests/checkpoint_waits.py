"""Waiting for a training subprocess to write its checkpoints, so that a
test can interrupt it (SIGKILL, Ctrl+C) at a known point. Shared by the
resume tests of runs/ and of streamed datasets."""

import os
import time

import pytest

from keras_gans.training import checkpoints


def wait_for_checkpoints(process, directory, count, log_path):
    """Waits until `count` checkpoints exist while the process runs."""
    folder = os.path.join(directory, "checkpoints")
    deadline = time.time() + 240
    while len(checkpoints.list_checkpoints(folder)) < count:
        if process.poll() is not None:
            pytest.fail("the run ended before it could be interrupted:\n"
                        + open(log_path).read())
        if time.time() > deadline:
            process.kill()
            pytest.fail("no checkpoint after 240 s:\n"
                        + open(log_path).read())
        time.sleep(0.01)
