"""Safe checkpoint files: arrays in .npz, everything else as JSON.

A checkpoint is an ordinary .npz archive holding named numeric arrays plus
one string array "__meta__" with a JSON document (architecture, counters,
config).  Loading passes allow_pickle=False, so opening a checkpoint can
never run code — unlike pickle, which can.

Writing goes to a temporary file in the same folder, is flushed to disk,
and is then renamed over the target.  A rename is atomic on POSIX, so a
crash or Ctrl-C leaves either the old checkpoint or the new one, never
half of one.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

META_KEY = "__meta__"


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, or not the kind expected."""


def save_npz(path: str, arrays: dict, meta: dict) -> None:
    """Atomically write `arrays` (name -> ndarray) and `meta` (JSON-able dict) to `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{META_KEY: np.array(json.dumps(meta))}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_npz(path: str, kind: str | None = None) -> tuple[dict, dict]:
    """Read a checkpoint written by save_npz -> (arrays, meta).

    Raises CheckpointError naming the problem when the file is missing, is not
    a readable .npz, has no metadata, or (if `kind` is given) is of another kind.
    """
    if not os.path.isfile(path):
        raise CheckpointError(f"checkpoint {path!r} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise CheckpointError(f"checkpoint {path!r} is corrupt or not an .npz file ({e})") from None
    if META_KEY not in arrays:
        raise CheckpointError(f"checkpoint {path!r} has no {META_KEY} entry; it was not written by numpy-dqn")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"checkpoint {path!r} has unreadable metadata ({e})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint {path!r} has metadata that is not a JSON object")
    if kind is not None and meta.get("kind") != kind:
        raise CheckpointError(f"checkpoint {path!r} is of kind {meta.get('kind')!r}, expected {kind!r}")
    return arrays, meta
