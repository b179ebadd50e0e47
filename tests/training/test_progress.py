"""`keras_gans.training.callbacks.Progress`: the run's speed and time left, per epoch."""

import types

from keras_gans.training.callbacks import Progress
from keras_gans.training.callbacks import format_duration


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def drive(progress, clock, epochs, steps_per_epoch, seconds_per_step,
          start_step=0, first_step_seconds=None):
    """Calls the hooks as fit() does, the clock advancing with each step."""
    progress.set_model(types.SimpleNamespace(steps=start_step))
    progress.set_params({"steps": steps_per_epoch, "epochs": epochs})
    progress.on_train_begin()
    first = True
    for epoch in range(epochs):
        progress.on_epoch_begin(epoch)
        for batch in range(steps_per_epoch):
            clock.now += (first_step_seconds if first and first_step_seconds
                          else seconds_per_step)
            first = False
            progress.on_train_batch_end(batch)
        progress.on_epoch_end(epoch)


def test_each_epoch_after_the_first_says_speed_and_time_left():
    lines, clock = [], Clock()
    progress = Progress(total_steps=30, echo=lines.append, clock=clock)
    drive(progress, clock, epochs=3, steps_per_epoch=10,
          seconds_per_step=0.5)
    # Measured from the end of step 1: 9 steps in 4.5 s at epoch 2, 19 in
    # 9.5 s at epoch 3; 2 steps/s leaves 20 and then 10 steps.
    assert lines == [
        "step 10/30, 2 steps/s, about 10s left",
        "step 20/30, 2 steps/s, about 5s left",
    ]


def test_a_slow_first_step_does_not_count_and_no_total_gives_the_speed():
    lines, clock = [], Clock()
    progress = Progress(total_steps=None, echo=lines.append, clock=clock)
    # Compiling makes the first step take a minute; the next 4 take 1 s.
    drive(progress, clock, epochs=2, steps_per_epoch=5, seconds_per_step=0.25,
          start_step=100, first_step_seconds=60.0)
    assert lines == ["step 105, 4 steps/s"]


def test_durations_read_as_seconds_minutes_or_hours():
    assert [format_duration(s) for s in (44.6, 187, 3720)] == [
        "45s", "3m 07s", "1h 02m"]
