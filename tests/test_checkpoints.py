"""Checkpoints, through the one save/load path a run uses (rl/cli/checkpoints.py on top of
nnpy's safe .npz files): exact round trips, clear errors for bad files, no pickle, atomic writes."""
import json
import os
import pickle
import re

import numpy as np
import pytest

from nnpy import CheckpointError, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential, load_npz, save_npz
from rl.cli.checkpoints import load_policy, save_policy

ENV = "Test-v0"


def small_net(dtype=np.float32, seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential([Conv2D(2, 4, 3, 1, rng=rng, dtype=dtype), ReLU(), MaxPool2D(2),
                       Flatten(), Dense(36, 3, rng=rng, dtype=dtype)])   # (N, 8, 8, 2) -> (N, 3)


@pytest.fixture
def saved(tmp_path):
    """A good checkpoint on disk, and the network it holds."""
    net = small_net()
    path = tmp_path / "net.npz"
    save_policy(str(path), net, ENV, {})
    return path, net


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_save_load_round_trip(tmp_path, dtype):
    net = small_net(dtype)
    path = str(tmp_path / "net.npz")
    save_policy(path, net, ENV, {"step": 1234})
    loaded, meta = load_policy(path, ENV)
    assert loaded.architecture() == net.architecture()
    for k, p in net.parameters().items():
        assert loaded.parameters()[k].dtype == dtype
        np.testing.assert_array_equal(loaded.parameters()[k], p)
    x = np.random.default_rng(1).random((2, 8, 8, 2)).astype(dtype)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))
    assert meta["step"] == 1234
    assert os.listdir(tmp_path) == ["net.npz"]                    # no temporary file left


def test_save_npz_load_npz_round_trip(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.int64).reshape(2, 3), "b/c": np.array([0.5], dtype=np.float32)}
    save_npz(str(tmp_path / "x.npz"), arrays, {"kind": "test", "nested": {"list": [1, 2]}})
    loaded, meta = load_npz(str(tmp_path / "x.npz"), kind="test")
    assert meta == {"kind": "test", "nested": {"list": [1, 2]}}
    assert loaded.keys() == arrays.keys()
    for k in arrays:
        np.testing.assert_array_equal(loaded[k], arrays[k])
        assert loaded[k].dtype == arrays[k].dtype
    with pytest.raises(CheckpointError, match="is of kind 'test', expected 'other'"):
        load_npz(str(tmp_path / "x.npz"), kind="other")


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped byte", "garbage", "pickle file"])
def test_corrupt_files_give_a_clear_error(saved, damage):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes({"empty": b"",
                      "truncated": data[:len(data) // 2],
                      "flipped byte": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:],
                      "garbage": b"not a checkpoint " * 20,
                      "pickle file": pickle.dumps({"online/0.w": np.zeros(3)})}[damage])
    with pytest.raises(CheckpointError, match="is corrupt or not an .npz file"):
        load_policy(str(path), ENV)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_policy(str(tmp_path / "nope.npz"), ENV)


SEQ = '{"kind": "numpy-dqn/policy", "env_id": "Test-v0", "dtype": "float32", '
DENSE_36_3 = SEQ + '"architecture": [{"type": "Dense", "in_features": 36, "out_features": 3}]}'


@pytest.mark.parametrize("meta, arrays, message", [
    (None, {}, "has no __meta__ entry"),
    ('{"kind": "rl.Agent"}', {}, "is a 'rl.Agent' file, not a numpy-dqn policy"),
    ('{"kind": "numpy-dqn/policy", "env_id": "Pong"}', {}, "was trained on 'Pong', not 'Test-v0'"),
    ("{not json", {}, "has unreadable metadata"),
    ("[1, 2]", {}, "metadata that is not a JSON object"),
    (SEQ + '"architecture": []}', {}, "the architecture must be a non-empty list"),
    ('{"kind": "numpy-dqn/policy", "env_id": "Test-v0", "dtype": "object", "architecture": [{"type": "ReLU"}]}',
     {}, "dtype must be float32 or float64, got 'object'"),
    (SEQ + '"architecture": [{"type": "LSTM"}]}', {}, "layer 0 has unknown type 'LSTM'"),
    (SEQ + '"architecture": [{"type": "Dense", "in_features": 0, "out_features": 2}]}', {},
     "layer 0 (Dense) is malformed"),
    (DENSE_36_3, {"online/0.w": np.zeros((3, 36), dtype=np.float32)},
     "parameter 'online/0.w' has shape (3, 36), the network expects (36, 3)"),
    (DENSE_36_3, {}, "is missing parameter 'online/0.w'"),
])
def test_bad_or_mismatched_contents_give_a_clear_error(tmp_path, meta, arrays, message):
    if meta is not None:
        arrays = {**arrays, "__meta__": np.array(meta)}
    path = tmp_path / "bad.npz"
    np.savez(path, placeholder=np.zeros(1), **arrays)
    with pytest.raises(CheckpointError, match=re.escape(message)):
        load_policy(str(path), ENV)


class OpensAFile:
    """Unpickling this object creates a file: proof that code ran on load."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_object_arrays_are_refused_and_never_unpickled(saved, tmp_path, monkeypatch):
    path, net = saved
    marker = tmp_path / "code-ran"
    arrays, meta = load_npz(str(path))
    arrays["online/0.w"] = np.array([OpensAFile(marker)], dtype=object)   # np.savez pickles object arrays
    np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)

    def no_pickle(*args, **kwargs):
        raise AssertionError("pickle was called while loading a checkpoint")
    monkeypatch.setattr(pickle, "load", no_pickle)
    monkeypatch.setattr(pickle, "loads", no_pickle)
    with pytest.raises(CheckpointError, match="Object arrays cannot be loaded"):
        load_npz(str(path))
    with pytest.raises(CheckpointError):
        load_policy(str(path), ENV)
    assert not marker.exists()


def half_write_then_interrupt(f, **arrays):
    f.write(b"PK\x03\x04 the first bytes of a zip, then Ctrl-C")
    raise KeyboardInterrupt


def fail_fsync(fd):
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("target, replacement, error", [
    ("savez", half_write_then_interrupt, KeyboardInterrupt),
    ("fsync", fail_fsync, OSError),
])
def test_a_failed_save_never_replaces_a_good_checkpoint(saved, monkeypatch, target, replacement, error):
    path, net = saved
    good_bytes = path.read_bytes()
    monkeypatch.setattr(np if target == "savez" else os, target, replacement)
    with pytest.raises(error):
        save_policy(str(path), small_net(seed=1), ENV, {})
    monkeypatch.undo()
    assert path.read_bytes() == good_bytes
    assert os.listdir(path.parent) == ["net.npz"]                 # the temporary file is gone
    loaded, _ = load_policy(str(path), ENV)
    for k, p in net.parameters().items():
        np.testing.assert_array_equal(loaded.parameters()[k], p)
