"""What a run writes to disk: checkpoint.npz (everything to resume) and best.npz (a policy).

This is the one save/load path for networks: nnpy provides the safe file format
(nnpy/checkpoint.py) and a network's named arrays and architecture (nnpy/network.py);
these functions put them together.

Both are nnpy checkpoint files (.npz arrays + JSON metadata, loaded with
allow_pickle=False, written atomically).  They share the online network's
arrays under "online/" and its architecture in the metadata, so `--eval`
accepts either; checkpoint.npz adds the target network, the optimizer
state and the run's counters.
"""
import os
import zipfile

import numpy as np

from nnpy import set_noise, CheckpointError, Sequential, load_npz, save_npz

CHECKPOINT_KIND = "numpy-dqn/checkpoint"
POLICY_KIND = "numpy-dqn/policy"


def save_policy(path: str, net: Sequential, env_id: str, extra: dict) -> None:
    meta = {"kind": POLICY_KIND, "env_id": env_id, "architecture": net.architecture(),
            "dtype": str(net.dtype()), **extra}
    save_npz(path, net.state_arrays("online/"), meta)


def save_checkpoint(path: str, agent, env_id: str, run_state: dict, extra: dict) -> None:
    meta = {"kind": CHECKPOINT_KIND, "env_id": env_id, "architecture": agent.online.architecture(),
            "dtype": str(agent.online.dtype()), "optim_t": agent.opt.t, "updates": agent.updates,
            "run": run_state, **extra}
    save_npz(path, agent.state_arrays(), meta)


def refuse_non_finite(arrays: dict, path: str) -> None:
    """A training run never saves NaN or inf (rl/train.py checks before every save), so a
    file that holds one was damaged or made elsewhere: refuse it rather than play with it."""
    for name, a in arrays.items():
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise CheckpointError(f"checkpoint {path!r} holds non-finite numbers in {name!r}; "
                                  f"use an earlier checkpoint or train again")


def check_is_npz(path: str) -> None:
    """Raise CheckpointError, saying what `path` is instead, unless it is an .npz archive
    (a zip file): a folder, a missing file (by the absolute path tried), or another kind of
    file, which numpy would otherwise take for a pickle and advise loading unsafely."""
    full = os.path.abspath(path)
    if os.path.isdir(full):
        inside = [n for n in ("best.npz", "checkpoint.npz") if os.path.isfile(os.path.join(full, n))]
        hint = (f"did you mean {os.path.join(path, inside[0])}?" if inside else
                "a run's folder holds best.npz and checkpoint.npz, and this one holds neither")
        raise CheckpointError(f"{path!r} is a folder; {hint}")
    if not os.path.exists(full):
        raise CheckpointError(f"checkpoint {full} does not exist")
    if not zipfile.is_zipfile(full):
        raise CheckpointError(f"{path!r} is corrupt or not an .npz file, so not a checkpoint "
                              f"(a run's best.npz or checkpoint.npz)")


def load_policy(path: str, env_id: str) -> tuple[Sequential, dict]:
    """The online network from a policy or checkpoint file made for `env_id`."""
    check_is_npz(path)
    arrays, meta = load_npz(path)
    refuse_non_finite(arrays, path)
    if meta.get("kind") not in (POLICY_KIND, CHECKPOINT_KIND):
        raise CheckpointError(f"{path!r} is a {meta.get('kind')!r} file, not a numpy-dqn policy or "
                              f"checkpoint (best.npz / checkpoint.npz from a training run)")
    if meta.get("env_id") != env_id:
        raise CheckpointError(f"{path!r} was trained on {meta.get('env_id')!r}, not {env_id!r}")
    net = Sequential.from_architecture(meta.get("architecture"), dtype=meta.get("dtype"),
                                       source=f"checkpoint {path!r}")
    net.load_state_arrays(arrays, "online/", source=f"checkpoint {path!r}")
    set_noise(net, False)               # a noisy network plays with its mean weights
    return net, meta


def load_checkpoint(path: str, agent, env_id: str) -> dict:
    """Restore agent (online, target, optimizer) from checkpoint.npz; returns its metadata."""
    check_is_npz(path)
    arrays, meta = load_npz(path, kind=CHECKPOINT_KIND)
    refuse_non_finite(arrays, path)
    if meta.get("env_id") != env_id:
        raise CheckpointError(f"{path!r} was trained on {meta.get('env_id')!r}, not {env_id!r}")
    if meta.get("architecture") != agent.online.architecture():
        raise CheckpointError(f"{path!r} holds a different network architecture than the run's config")
    agent.load_state_arrays(arrays, meta["optim_t"], source=f"checkpoint {path!r}")
    agent.updates = meta["updates"]
    return meta
