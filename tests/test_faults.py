"""Faults end with one clear line, and nothing on disk is poisoned (the README's fault table).

Each test provokes one fault for real, through `run.py` in a subprocess where it can (a
diverging learning rate, a file-size limit set by the operating system, SIGTERM, SIGKILL, a
replay memory larger than the machine) and in this process where the fault cannot be made
on demand (a full disk: ENOSPC).  The runs are the same tiny CartPole and Pong runs as the
other end-to-end tests, so the file takes seconds.
"""
import errno
import os
import resource
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

from cli_helpers import ENV, REPO, error_line, read_csv, read_json, run_py, start_long_run
from nnpy import load_npz, save_npz
from rl.cli.cartpole import main
from rl.cli.checkpoints import CHECKPOINT_KIND, POLICY_KIND
from rl.cli.memory import MEMORY_FRACTION, MemoryTooSmall, check_replay_fits, mem_available

SMALL = ["--steps", "2000", "--hidden", "32", "--learning-starts", "500", "--train-every", "64",
         "--gradient-steps", "16", "--eval-every", "1000", "--eval-episodes", "2",
         "--final-eval-episodes", "2", "--log-every", "400", "--checkpoint-every", "1000"]
PONG = ["--game", "pong", "--buffer-size", "2000", "--learning-starts", "300", "--batch-size", "8",
        "--train-every", "4", "--eval-every", "600", "--eval-episodes", "1",
        "--final-eval-episodes", "1", "--log-every", "300", "--checkpoint-every", "600"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> str:
    """A finished 2,000-step CartPole run with a checkpoint at step 2,000 (copy it before changing it)."""
    out = str(tmp_path_factory.mktemp("faults") / "run")
    done = run_py("cartpole", *SMALL, "--seed", "1", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def copy_of(trained: str, tmp_path) -> str:
    run = str(tmp_path / "run")
    shutil.copytree(trained, run)
    return run


def one_line(stderr: str) -> str:
    """The run ended with exactly one line on stderr (--quiet) and no traceback: that line."""
    assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    return stderr.strip()


def all_finite(path: str) -> bool:
    arrays, _ = load_npz(path)
    return all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")


def checkpoint_step(run: str) -> int:
    return load_npz(os.path.join(run, "checkpoint.npz"), kind=CHECKPOINT_KIND)[1]["run"]["step"]


def no_temporary_files(run: str) -> bool:
    return not [n for n in os.listdir(run) if n.startswith(".tmp-") or n.endswith(".tmp")]


# ---- divergence ------------------------------------------------------------------------------

def test_divergence_stops_at_once_with_one_line_and_writes_no_network(tmp_path):
    out = str(tmp_path / "diverged")
    done = run_py("cartpole", *SMALL, "--steps", "6000", "--lr", "1e30", "--out", out, "--quiet")
    line = one_line(done.stderr)
    assert done.returncode == 1
    assert line.startswith("run.py cartpole: error: training diverged at step ")
    assert "last finite loss" in line and "lower --lr" in line and "--max-grad-norm" in line
    assert "no checkpoint had been saved yet" in line
    # it stopped at the first update whose loss was not finite, before anything was saved
    assert not os.path.exists(os.path.join(out, "best.npz"))
    assert not os.path.exists(os.path.join(out, "checkpoint.npz"))
    assert not os.path.exists(os.path.join(out, "summary.json"))


def test_divergence_keeps_the_last_good_checkpoint_and_resume_goes_on_from_it(trained, tmp_path):
    run = copy_of(trained, tmp_path)
    best_before = open(os.path.join(run, "best.npz"), "rb").read()
    done = run_py("cartpole", "--resume", run, "--steps", "4000", "--lr", "1e30", "--quiet")
    line = one_line(done.stderr)
    assert done.returncode == 1 and "training diverged at step" in line
    assert f"--resume {run} --lr 1e+29" in line                     # how to go on, said
    assert checkpoint_step(run) == 2000 and all_finite(os.path.join(run, "checkpoint.npz"))
    assert open(os.path.join(run, "best.npz"), "rb").read() == best_before
    # a lower learning rate from the last good state: trains on and finishes
    done = run_py("cartpole", "--resume", run, "--steps", "3000", "--lr", "1e-3", "--quiet")
    assert done.returncode == 0, done.stderr
    assert checkpoint_step(run) == 3000 and all_finite(os.path.join(run, "checkpoint.npz"))
    assert read_json(os.path.join(run, "config.json"))["lr"] == 1e-3
    assert np.isfinite(read_json(os.path.join(run, "summary.json"))["final_eval_mean_return"])


@pytest.mark.parametrize("name", ["checkpoint.npz", "best.npz"])
def test_a_file_holding_nan_is_refused_by_eval_and_resume(trained, tmp_path, capsys, name):
    run = copy_of(trained, tmp_path)
    path = os.path.join(run, name)
    arrays, meta = load_npz(path)
    arrays["online/0.w"][0, 0] = np.nan
    save_npz(path, arrays, meta)
    assert "holds non-finite numbers in 'online/0.w'" in error_line(main, "cartpole", ["--eval", path], capsys)
    if name == "checkpoint.npz":
        assert "non-finite" in error_line(main, "cartpole", ["--resume", run, "--steps", "3000", "--quiet"], capsys)


# ---- a full disk -----------------------------------------------------------------------------

def test_a_full_disk_mid_run_is_one_line_and_the_previous_checkpoint_survives(tmp_path, capsys, monkeypatch):
    """ENOSPC in the middle of writing the second checkpoint (step 2,000): half a file was
    written when the disk filled up."""
    real_savez, saves = np.savez, []

    def savez_until_full(f, **arrays):
        if any(k.startswith("target/") for k in arrays):           # a checkpoint, not best.npz
            saves.append(1)
            if len(saves) == 2:
                f.write(b"\0" * 4096)
                raise OSError(errno.ENOSPC, "No space left on device")
        real_savez(f, **arrays)

    monkeypatch.setattr(np, "savez", savez_until_full)
    out = str(tmp_path / "full")
    assert main([*SMALL, "--steps", "4000", "--out", out, "--quiet"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"run.py cartpole: error: cannot write {out}/checkpoint.npz: [Errno 28 ENOSPC]")
    assert f"{out}/checkpoint.npz from before is intact" in line
    assert checkpoint_step(out) == 1000 and no_temporary_files(out)


def test_a_file_size_limit_from_the_os_is_one_line_too(trained, tmp_path):
    """For real: the kernel refuses to let any file grow past 25 KB (RLIMIT_FSIZE, the way a
    quota or a full disk refuses), which checkpoint.npz (~38 KB) needs; the smaller files fit."""
    run = copy_of(trained, tmp_path)
    size = os.path.getsize(os.path.join(run, "checkpoint.npz"))
    assert size > 25_000

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (25_000, 25_000))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)               # an error, not a killed process

    done = subprocess.run([sys.executable, "run.py", "cartpole", "--resume", run, "--steps", "4000", "--quiet"],
                          cwd=REPO, env=ENV, capture_output=True, text=True, timeout=120,
                          preexec_fn=limit_file_size)
    line = one_line(done.stderr)
    assert done.returncode == 1
    assert f"cannot write {run}/checkpoint.npz: [Errno 27 EFBIG]" in line and "is intact" in line
    assert checkpoint_step(run) == 2000 and os.path.getsize(os.path.join(run, "checkpoint.npz")) == size
    assert no_temporary_files(run)


# ---- memory ----------------------------------------------------------------------------------

def test_mem_available_reads_proc_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24576000 kB\nMemFree:  1000 kB\nMemAvailable:   20000000 kB\n")
    assert mem_available(str(meminfo)) == 20_000_000 * 1024
    assert mem_available(str(tmp_path / "none")) is None            # macOS, Windows: no such file


def test_a_replay_memory_that_cannot_fit_is_refused_with_the_figures():
    with pytest.raises(MemoryTooSmall) as e:
        check_replay_fits(3_000_000, 7_071, available=20 * 10**9)
    text = str(e.value)
    assert "3,000,000 transitions × 7,071 bytes = 21.21 GB does not fit: 20.00 GB available" in text
    assert f"try --buffer-size {int(MEMORY_FRACTION * 20e9 // 7071):,} or less" in text
    assert check_replay_fits(100_000, 7_071, available=20 * 10**9).endswith("= 0.71 GB, of 20.00 GB available")
    assert "not checked" in check_replay_fits(100_000, 7_071, available=None)


def test_run_py_refuses_a_replay_memory_larger_than_the_machine_before_training(tmp_path):
    out = str(tmp_path / "huge")
    done = run_py("atari", "--game", "pong", "--buffer-size", "1000000000", "--out", out, "--quiet")
    line = one_line(done.stderr)
    assert done.returncode == 2
    # the default frame replay, prioritized: 7,071 bytes a transition, 19 for its sum-tree nodes
    # and valid flag at this size (rl/prioritized.py:PrioritizedReplay.bytes_per_slot)
    assert "replay memory: 1,000,000,000 transitions × 7,090 bytes = 7090.00 GB does not fit" in line
    assert not os.path.exists(out)                                  # refused before anything was made


def test_a_run_prints_what_its_replay_memory_takes(tmp_path):
    done = run_py("cartpole", *SMALL, "--steps", "600", "--out", str(tmp_path / "r"))
    assert done.returncode == 0, done.stderr
    assert "replay memory: 50,000 transitions × 49 bytes = 0.00 GB" in done.stderr.splitlines()[0]


# ---- --resume with flags, and a damaged config.json --------------------------------------------

def test_resume_applies_the_flags_it_can_and_refuses_the_rest(trained, tmp_path, capsys):
    run = copy_of(trained, tmp_path)
    line = error_line(main, "cartpole", ["--resume", run, "--hidden", "64", "--gamma", "0.9"], capsys)
    assert "--resume cannot change --gamma, --hidden (the run was made with gamma=0.99, hidden=32)" in line
    assert "it can change only --steps, --lr" in line
    assert "drop --out" in error_line(main, "cartpole", ["--resume", run, "--out", str(tmp_path / "x")], capsys)
    # a value equal to the saved one changes nothing and is accepted; --eval-every and --lr apply
    done = run_py("cartpole", "--resume", run, "--steps", "3000", "--hidden", "32", "--lr", "5e-4",
                  "--eval-every", "500", "--quiet")
    assert done.returncode == 0, done.stderr
    assert read_json(os.path.join(run, "config.json"))["lr"] == 5e-4
    assert [int(r["step"]) for r in read_csv(os.path.join(run, "progress.csv")) if r["eval_mean_return"]] \
        == [1000, 2000, 2500, 3000]


@pytest.mark.parametrize("content,message", [
    ("{not json", "config.json is not readable JSON"),
    ("[1, 2]", "config.json is not a JSON object"),
    ('{"lr": "fast"}', "config.json has lr = 'fast', expected a float"),
    ('{"foo": 1}', "config.json has no seed, steps, lr, gamma, buffer_size, batch_size, learning_starts, "
                   "which every run's config.json holds"),
])
def test_a_damaged_config_json_is_one_line(trained, tmp_path, capsys, content, message):
    run = copy_of(trained, tmp_path)
    with open(os.path.join(run, "config.json"), "w") as f:
        f.write(content)
    assert message in error_line(main, "cartpole", ["--resume", run], capsys)


def file_bytes(run: str) -> dict:
    return {name: open(os.path.join(run, name), "rb").read() for name in ("config.json", "progress.csv")}


@pytest.mark.parametrize("content", ["step,foo\nabc,1\n", "nothing,here\n1,2\n", "\x00\xff\xfe",
                                     "step,foo\n1,2\n", "step\n1\n2,3\n"])
def test_a_damaged_progress_csv_stops_a_resume_before_anything_is_written(trained, tmp_path, capsys, content):
    run = copy_of(trained, tmp_path)
    with open(os.path.join(run, "progress.csv"), "w", encoding="latin-1") as f:
        f.write(content)
    before = file_bytes(run)                     # --steps 3000 would change config.json if written
    line = error_line(main, "cartpole", ["--resume", run, "--steps", "3000", "--quiet"], capsys)
    assert f"{run}/progress.csv is damaged" in line and "move it away to continue without its rows" in line
    assert file_bytes(run) == before


def test_a_missing_best_npz_stops_a_resume_before_anything_is_written(trained, tmp_path, capsys):
    run = copy_of(trained, tmp_path)
    os.unlink(os.path.join(run, "best.npz"))
    before = file_bytes(run)                     # --steps 3000 would change config.json if written
    line = error_line(main, "cartpole", ["--resume", run, "--steps", "3000", "--quiet"], capsys)
    assert f"--resume {run}: no best.npz, the best network so far" in line
    assert f"start again with --out {run} --overwrite" in line
    assert file_bytes(run) == before


# ---- signals ---------------------------------------------------------------------------------

def test_ctrl_c_outside_training_is_one_line_and_status_130():
    """Training saves a checkpoint on Ctrl-C (below); anywhere else (here the grid world, and
    so --eval too) run.py says it was interrupted instead of showing a traceback."""
    proc = subprocess.Popen([sys.executable, "run.py", "gridworld", "--episodes", "100000000"], cwd=REPO,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and stderr.strip() == "run.py gridworld: interrupted", stderr


def test_sigterm_saves_a_valid_checkpoint_and_exits_130(tmp_path):
    out = str(tmp_path / "terminated")
    proc = start_long_run(out, SMALL)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in stderr
    assert checkpoint_step(out) >= 1000 and no_temporary_files(out)


def test_sigkill_then_resume_loses_at_most_the_steps_since_the_last_checkpoint(tmp_path):
    """SIGKILL runs no handler: whatever checkpoint.npz is on disk must be whole, and --resume
    goes on from it (a temporary file a killed save left behind is cleared)."""
    out = str(tmp_path / "killed")
    proc = start_long_run(out, SMALL, rows=8)                       # past the checkpoint at step 2,000
    proc.kill()
    proc.communicate(timeout=60)
    step = checkpoint_step(out)
    assert step >= 2000 and step % 1000 == 0
    with open(os.path.join(out, ".tmp-killed-mid-save.npz"), "wb") as f:
        f.write(b"PK\3\4 half a file")
    done = run_py("cartpole", "--resume", out, "--steps", str(step + 1000), "--quiet")
    assert done.returncode == 0, done.stderr
    assert checkpoint_step(out) == step + 1000 and no_temporary_files(out)
    rows = [int(r["step"]) for r in read_csv(os.path.join(out, "progress.csv"))]
    assert rows == sorted(set(rows)) and rows[-1] == step + 1000     # no row twice, none lost


# ---- Atari end to end: --resume, sticky actions, the 2015 network --------------------------------

def test_atari_resume_refills_its_frame_replay_and_goes_on(tmp_path):
    out = str(tmp_path / "pong")
    done = run_py("atari", *PONG, "--steps", "1200", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    updates = load_npz(os.path.join(out, "checkpoint.npz"))[1]["updates"]
    assert updates == len(range(300, 1200, 4))
    done = run_py("atari", "--resume", out, "--steps", "1800", "--quiet")
    assert done.returncode == 0, done.stderr
    _, meta = load_npz(os.path.join(out, "checkpoint.npz"), kind=CHECKPOINT_KIND)
    # the frame replay is not saved: it refills for learning_starts (300) steps, then learns
    assert meta["run"]["step"] == 1800 and meta["updates"] == updates + len(range(1500, 1800, 4))
    assert [int(r["step"]) for r in read_csv(os.path.join(out, "progress.csv"))] == \
        [300, 600, 900, 1200, 1500, 1800]
    assert read_json(os.path.join(out, "summary.json"))["steps"] == 1800


@pytest.mark.parametrize("flags,check", [
    (["--sticky-actions", "true"], lambda cfg, arch: cfg["sticky_actions"] is True),
    (["--arch", "dqn2015"], lambda cfg, arch: [l["out_channels"] for l in arch if l["type"] == "Conv2D"]
     == [32, 64, 64]),
])
def test_atari_options_end_to_end(tmp_path, flags, check):
    out = str(tmp_path / "pong")
    done = run_py("atari", *PONG, "--steps", "600", *flags, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    _, meta = load_npz(os.path.join(out, "best.npz"), kind=POLICY_KIND)
    assert check(read_json(os.path.join(out, "config.json")), meta["architecture"])
    assert np.isfinite(read_json(os.path.join(out, "summary.json"))["final_eval_mean_return"])


def test_bytes_per_transition_is_what_the_memories_allocate():
    """The memory check's figure must be the arrays' own size, slot for slot."""
    from atari.frame_replay import FrameReplay
    from rl.replay import ReplayMemory

    for memory, per in [(ReplayMemory(100, (4,), np.float32, 0.99, 3), ReplayMemory.bytes_per_transition((4,))),
                        (FrameReplay(100, 0.99, 3), FrameReplay.bytes_per_transition())]:
        arrays = [a for a in vars(memory).values() if isinstance(a, np.ndarray) and len(a) == 100]
        assert sum(a.nbytes for a in arrays) == 100 * per
