"""The run directory: one process at a time, checked before any work, never
left corrupt by a failed write, and resumable from any point.

- Two real `keras-gans run` processes on one directory: the second exits
  non-zero naming the first's PID, and nothing of the first is touched.
- The lock dies with its process (SIGKILL leaves no stale lock).
- An output path that is a file, a read-only folder or a full disk is
  refused before the data is loaded.
- A disk that fills up mid-run gives exit 1 naming the file, keeps the last
  good checkpoint and leaves no temporary file.
- A run killed before its first checkpoint resumes from step 0.
"""

import ast
import datetime
import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import keras
import pytest
from click.testing import CliRunner
import source_strings

import keras_gans
from keras_gans.training import checkpoints
from keras_gans import cli
from keras_gans import files
from keras_gans.runs import directory as run_directory

from paths import REPO
RING8 = os.path.join(REPO, "recipes", "ring8.toml")
BACKEND = keras.backend.backend()
TOY = [
    "--set", "data.params.num_samples=512",
    "--set", "data.batch_size=64",
    "--set", "model.params.width=16",
    "--set", "model.latent_dim=4",
    "--set", "output.samples=64",
    "--set", "output.sample_every=0",
    "--set", "output.log_images_every=0",
    "--set", "output.checkpoint_every=0",
    "--set", "output.checkpoint_every_steps=4",
]


def invoke(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args],
                              catch_exceptions=False)


def environment():
    """The subprocesses' environment: this checkout first on the path."""
    root = os.path.dirname(os.path.dirname(keras_gans.__file__))
    return dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="3",
                PYTHONPATH=os.pathsep.join(
                    [root, os.environ.get("PYTHONPATH", "")]))


def command(*args):
    return [sys.executable, "-m", "keras_gans.cli", *map(str, args)]


def snapshot(directory):
    """`{relative path: sha256}` of every file below `directory`.

    A run may be writing there: a file renamed away between listing and
    opening (a temporary checkpoint becoming the real one) is left out, as
    if listed a moment later."""
    found = {}
    for folder, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as file:
                    digest = hashlib.sha256(file.read()).hexdigest()
            except FileNotFoundError:
                continue
            found[os.path.relpath(path, directory)] = digest
    return found


@pytest.fixture
def no_data_loading(monkeypatch):
    """Fails the test if the recipe's dataset is loaded."""
    from keras_gans.runs import train as run_module

    def refuse(*args, **kwargs):
        raise AssertionError("the data was loaded")

    monkeypatch.setattr(run_module, "load_data", refuse)


# ----------------------------------------------------------------------
# Two processes, one directory


def test_a_second_run_on_a_directory_in_use_exits_naming_the_holder(tmp_path):
    directory = tmp_path / "run"
    log_path = tmp_path / "first.log"
    with open(log_path, "w") as log:
        first = subprocess.Popen(
            command("run", RING8, *TOY, "--set", "train.steps=1000000",
                    "--set", "output.keep_checkpoints=1000",
                    "--output", directory),
            stdout=log, stderr=subprocess.STDOUT, env=environment(),
        )
    try:
        folder = directory / "checkpoints"
        deadline = time.time() + 240
        while len(checkpoints.list_checkpoints(folder)) < 2:
            assert first.poll() is None, log_path.read_text()
            assert time.time() < deadline, "no checkpoint after 240 s"
            time.sleep(0.05)
        # The first run's files now. It keeps every checkpoint (no pruning)
        # and never rewrites one, so each must still be there, unchanged.
        before = {
            path: digest for path, digest in snapshot(directory).items()
            if path == "recipe.toml" or (
                path.startswith("checkpoints") and not os.path.basename(
                    path).startswith(files.TEMPORARY_PREFIX))
        }
        # The second process of the issue: a resume, which used to delete
        # the first one's temporary checkpoint and then write over its files.
        started = time.time()
        second = subprocess.run(
            command("run", RING8, *TOY, "--set", "train.steps=8",
                    "--output", directory, "--resume"),
            capture_output=True, text=True, timeout=300, env=environment(),
        )
        seconds = time.time() - started
        assert second.returncode == 1, second.stdout + second.stderr
        assert (f"The run directory {directory} is in use by another "
                f"keras-gans process (PID {first.pid})") in second.stderr
        # Refused before loading data (its time is Python's and Keras'
        # start-up), while the first kept training.
        assert "Resuming" not in second.stdout
        assert first.poll() is None, (
            f"the second process took {seconds:.0f} s; the first ended")
        after = snapshot(directory)
        for path, digest in before.items():
            assert after.get(path) == digest, path
    finally:
        first.send_signal(signal.SIGINT)  # finish the step, checkpoint, stop
        code = first.wait(timeout=120)
    assert code == 130, log_path.read_text()
    newest, _ = checkpoints.latest_checkpoint(directory / "checkpoints")
    assert keras_gans.load_model(newest).steps >= 8


def _hold_lock_in_a_child(directory):
    """A child process that claims `directory` and waits to be killed."""
    code = ("import sys, time; from keras_gans.runs import directory as run_directory; "
            "claim = run_directory.claim(sys.argv[1]); "
            "print('held', flush=True); "
            "time.sleep(600)")
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(directory)], stdout=subprocess.PIPE,
        text=True, env=environment(),
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_the_lock_dies_with_its_process(tmp_path):
    directory = tmp_path / "run"
    child = _hold_lock_in_a_child(directory)
    try:
        with pytest.raises(run_directory.RunDirectoryError,
                           match=f"in use by another keras-gans process "
                                 f"\\(PID {child.pid}\\)"):
            run_directory.claim(directory, resume=True)
    finally:
        child.kill()  # SIGKILL: no clean-up code runs in the child
        child.wait()
    claim = run_directory.claim(directory, resume=True)
    assert run_directory.holder_pid(directory) == os.getpid()
    claim.release()


def test_a_new_run_into_a_directory_in_use_names_the_holder(
    tmp_path, no_data_loading
):
    directory = tmp_path / "run"
    child = _hold_lock_in_a_child(directory)
    try:
        result = invoke("run", RING8, *TOY, "--output", directory)
    finally:
        child.kill()
        child.wait()
    assert result.exit_code == 1
    assert (f"The run directory {directory} is in use by another keras-gans "
            f"process (PID {child.pid}). Wait for it to finish or stop it, "
            "or choose another --output.") in result.output
    assert os.listdir(directory) == [run_directory.LOCK_NAME]


def test_a_new_run_in_a_directory_with_a_stale_lock_file_starts(tmp_path):
    directory = tmp_path / "run"
    directory.mkdir()
    (directory / run_directory.LOCK_NAME).write_text("999999\n")
    claim = run_directory.claim(directory)
    assert run_directory.holder_pid(directory) == os.getpid()
    claim.release()


def test_default_run_directories_are_created_atomically(tmp_path):
    base = str(tmp_path / "runs" / "ring8-20240101-000000")
    made = [run_directory.create_unique(base) for _ in range(3)]
    assert made == [base, f"{base}-2", f"{base}-3"]
    assert all(os.path.isdir(path) for path in made)


# ----------------------------------------------------------------------
# Checked before any work


def test_an_output_path_that_is_a_file_is_refused_first(tmp_path,
                                                        no_data_loading):
    path = tmp_path / "taken"
    path.write_text("not a folder")
    with pytest.raises(run_directory.RunDirectoryError,
                       match="is a file, not a directory"):
        run_directory.claim(path)
    result = invoke("run", RING8, *TOY, "--output", path)
    assert result.exit_code == 2 and "is a file" in result.output  # click
    inside = path / "run"
    result = invoke("run", RING8, *TOY, "--output", inside)
    assert result.exit_code == 1
    assert f"Cannot write to the run directory {inside}" in result.output
    assert path.read_text() == "not a folder"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_output_is_refused_first(tmp_path, no_data_loading):
    parent = tmp_path / "read_only"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        result = invoke("run", RING8, *TOY, "--output", parent / "run")
    finally:
        parent.chmod(0o700)
    assert result.exit_code == 1
    assert f"Cannot write to the run directory {parent / 'run'}" in (
        result.output)


def test_a_full_disk_is_refused_first(tmp_path, monkeypatch,
                                      no_data_loading):
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(run_directory.shutil, "disk_usage",
                        lambda path: usage._replace(free=4096))
    directory = tmp_path / "run"
    result = invoke("run", RING8, *TOY, "--output", directory)
    assert result.exit_code == 1
    assert (f"The disk of the run directory {directory} is full: 0.0 MiB "
            "free") in result.output
    assert not directory.exists()  # made by this run, removed again


def test_a_new_run_in_a_used_directory_says_resume(tmp_path):
    directory = tmp_path / "run"
    (directory / "logs").mkdir(parents=True)
    result = invoke("run", RING8, *TOY, "--output", directory)
    assert result.exit_code == 1
    assert ("already exists and is not empty (it holds logs). Pass --resume "
            "to continue it") in result.output


# ----------------------------------------------------------------------
# Failures during a run


def test_a_disk_that_fills_up_mid_run_keeps_the_last_good_checkpoint(
    tmp_path, monkeypatch
):
    from keras_gans.gan import GAN

    real_save = GAN.save
    calls = []

    def save_until_full(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) < 2:
            return real_save(self, path, *args, **kwargs)
        with open(path, "wb") as file:  # half a file, then no space
            file.write(b"PK\x03\x04" + b"\0" * 1000)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(GAN, "save", save_until_full)
    directory = tmp_path / "run"
    result = invoke("run", RING8, *TOY, "--set", "train.steps=12",
                    "--output", directory)
    assert result.exit_code == 1
    folder = directory / "checkpoints"
    first = folder / "step_00000004.keras"
    assert (f"Could not write {folder / 'step_00000008.keras'}: No space "
            f"left on device. The last good checkpoint is kept: {first}; "
            "continue with --resume") in result.output
    assert os.listdir(folder) == ["step_00000004.keras"]  # no temporary
    checkpoints.check_complete(first)
    monkeypatch.setattr(GAN, "save", real_save)
    assert keras_gans.load_model(first).steps == 4


def test_a_failed_atomic_write_removes_its_temporary_file(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text("old")
    with pytest.raises(files.WriteError) as caught:
        with files.replacing(path) as temporary:
            with open(temporary, "w") as file:
                file.write("new, half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert caught.value.filename == str(path)
    assert caught.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == ["metrics.json"]
    assert path.read_text() == "old"


def test_the_tensorboard_writer_names_its_file_when_a_write_fails(tmp_path):
    from keras_gans.training.tensorboard import EventWriter

    writer = EventWriter(tmp_path)

    class Full:
        closed = False

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    writer._writer = Full()
    with pytest.raises(files.WriteError) as caught:
        writer.scalars(1, {"loss/d": 0.5})
    assert caught.value.filename == writer.path


# ----------------------------------------------------------------------
# Killed before the first checkpoint


def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(
    tmp_path
):
    directory = tmp_path / "run"
    # What such a run leaves: its recipe, logs and lock file.
    result = invoke("run", RING8, *TOY, "--set", "train.steps=4",
                    "--output", directory)
    assert result.exit_code == 0, result.output
    for name in ("checkpoints", "gan.keras", "generator.keras",
                 "metrics.json"):
        path = directory / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    again = invoke("run", RING8, *TOY, "--set", "train.steps=4",
                   "--output", directory)
    assert again.exit_code == 1 and "Pass --resume" in again.output

    resumed = invoke("run", RING8, *TOY, "--set", "train.steps=4",
                     "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert (f"No checkpoint was written in {directory} before the run "
            "stopped; training it from step 0.") in resumed.output
    metrics = json.loads((directory / "metrics.json").read_text())
    assert metrics["steps"] == 4 and "resumes" not in metrics


def test_resume_in_a_folder_that_is_not_a_run_says_so(tmp_path):
    directory = tmp_path / "not_a_run"
    directory.mkdir()
    result = invoke("run", RING8, *TOY, "--output", directory, "--resume")
    assert result.exit_code == 1
    assert "holds no recipe.toml: it is not a keras-gans run" in result.output
    assert sorted(os.listdir(directory)) == [run_directory.LOCK_NAME]


def test_a_checkpoint_that_fails_to_load_is_skipped_on_resume(tmp_path):
    directory = tmp_path / "run"
    result = invoke("run", RING8, *TOY, "--set", "train.steps=8",
                    "--set", "output.keep_checkpoints=2",
                    "--output", directory)
    assert result.exit_code == 0, result.output
    newest = directory / "checkpoints" / "step_00000008.keras"
    _rezip_with_damaged_weights(newest)
    resumed = invoke("run", RING8, *TOY, "--set", "train.steps=12",
                     "--set", "output.keep_checkpoints=2",
                     "--output", directory, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert f"Skipping the damaged checkpoint {newest}" in resumed.output
    assert "Resuming from" in resumed.output and "(step 4:" in resumed.output
    assert json.loads((directory / "metrics.json").read_text())[
        "steps"] == 12

    # With every checkpoint damaged, the error says why for each.
    for path in checkpoints.list_checkpoints(directory / "checkpoints"):
        _rezip_with_damaged_weights(path[1])
    result = invoke("run", RING8, *TOY, "--set", "train.steps=16",
                    "--output", directory, "--resume")
    assert result.exit_code == 1
    assert "every one is damaged or fails to load:" in result.output
    for step in (8, 12):
        assert (f"step_{step:08d}.keras: member model.weights.h5 is "
                "damaged") in result.output


def _rezip_with_damaged_weights(path):
    """Writes `path` again as a valid zip (every CRC right) whose weights
    file is cut in half: damage the zip layer cannot see."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    weights = members["model.weights.h5"]
    members["model.weights.h5"] = weights[: len(weights) // 2]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


# --------------------------------------------------------------------------
# The layout lives in one module
# --------------------------------------------------------------------------

LAYOUT_NAMES = ("recipe.toml", "gan.keras", "generator.keras", "metrics.json",
                ".keras-gans.lock", "skipped_files.txt", "data_checks.json",
                "removed_samples.json")
LAYOUT_FOLDERS = ("checkpoints", "samples", "logs")


def test_the_run_layout_is_spelled_in_runs_directory_only():
    """No string outside runs/directory.py (docstrings aside) names a file
    of the run layout, or joins a path with one of its folder names."""
    package = os.path.join(REPO, "keras_gans")
    spelled = []
    for folder, _, names in os.walk(package):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, REPO)
            if not name.endswith(".py") or relative == os.path.join(
                    "keras_gans", "runs", "directory.py"):
                continue
            with open(path, encoding="utf-8") as file:
                tree = ast.parse(file.read(), path)
            docstrings = source_strings.docstrings(tree)
            for node in ast.walk(tree):
                if (isinstance(node, ast.Constant)
                        and isinstance(node.value, str)
                        and id(node) not in docstrings
                        and any(n in node.value for n in LAYOUT_NAMES)):
                    spelled.append(f"{relative}:{node.lineno} {node.value!r}")
                if isinstance(node, ast.Call) and getattr(
                        node.func, "attr", None) == "join":
                    spelled += [
                        f"{relative}:{arg.lineno} join {arg.value!r}"
                        for arg in node.args
                        if isinstance(arg, ast.Constant)
                        and isinstance(arg.value, str)
                        and arg.value.rstrip("/") in LAYOUT_FOLDERS]
    assert spelled == []


def test_run_directory_names_what_a_run_holds(tmp_path):
    layout = run_directory.RunDirectory
    run = layout.new(tmp_path, "a b/c", now=datetime.datetime(2026, 1, 2, 3,
                                                               4, 5))
    again = layout.new(tmp_path, "a b/c", now=datetime.datetime(2026, 1, 2, 3,
                                                                 4, 5))
    assert os.path.basename(run.path) == "a_b_c-20260102-030405"
    assert again.path == run.path + "-2"
    assert run.read_recipe() is None and not run.is_run()
    os.makedirs(run.checkpoints)
    with open(run.recipe_path, "w") as file:
        file.write('name = "x"\n[model]\nlatent_dim = 3\n')
    assert run.read_recipe() == {"name": "x", "model": {"latent_dim": 3}}
    checkpoint = os.path.join(run.checkpoints, "step_00000008.keras")
    assert layout.of_model(checkpoint) == run
    assert layout.of_model(run.gan_path) == run
    assert layout.of_model(tmp_path / "elsewhere.keras") is None
    assert run.read_metrics() == {}
    with open(run.metrics_path, "w") as file:
        json.dump({"steps": 8}, file)
    assert run.read_metrics() == {"steps": 8}
    assert run.newest_sample() is None
    os.makedirs(run.samples)
    for epoch in (2, 10):
        open(os.path.join(run.samples, layout.SAMPLE_NAME.format(
            epoch=epoch)), "wb").close()
    assert run.newest_sample() == os.path.join(run.samples,
                                               "epoch_0010.png")
    assert dict(run.outputs())["samples"] == run.newest_sample()
