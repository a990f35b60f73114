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
from contextlib import contextmanager

import numpy as np

META_KEY = "__meta__"
UMASK = os.umask(0o022)   # read the process's umask (the only way is to set it) ...
os.umask(UMASK)           # ... and put it back at once


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, or not the kind expected."""


@contextmanager
def atomic_file(path: str, mode: str = "wb", **open_args):
    """`with atomic_file(path) as f:` writes f to a temporary file in path's folder, flushes
    it to disk and renames it over path when the block ends.  If anything goes wrong on the
    way (a full disk, Ctrl-C), the temporary file is removed and path keeps its old content:
    a reader only ever sees a whole old file or a whole new one."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.splitext(path)[1], dir=folder)
    try:
        os.chmod(tmp, 0o666 & ~UMASK)     # mkstemp makes it private (0600); give it open()'s mode
        with os.fdopen(fd, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_npz(path: str, arrays: dict, meta: dict) -> None:
    """Atomically write `arrays` (name -> ndarray) and `meta` (JSON-able dict) to `path`."""
    with atomic_file(path) as f:
        np.savez(f, **{META_KEY: np.array(json.dumps(meta))}, **arrays)


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
