"""bench/seeds.py --continue: a seed table that was interrupted goes on where it stopped.

A timed Pong table takes hours, longer than a machine may be lent; `--continue` reads the
seeds that finished and resumes the one that was stopped, instead of starting them over.
"""
import os
import subprocess
import sys

from cli_helpers import ENV, REPO
from test_cartpole_cli import SMALL


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "bench/cartpole.py", *args], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=180)


def test_continue_reads_finished_seeds_and_resumes_a_stopped_one(tmp_path):
    out = str(tmp_path / "table")
    first = bench("--seeds", "0-1", "--out", out, "--", *SMALL)
    assert first.returncode == 0, first.stderr
    seed0, seed1 = (os.path.join(out, f"seed-{s}", "summary.json") for s in (0, 1))
    made = os.path.getmtime(seed0)
    os.unlink(seed1)                      # seed 1 as if stopped after its last checkpoint
    again = bench("--seeds", "0-1", "--out", out, "--continue", "--", *SMALL)
    assert again.returncode == 0, again.stderr
    assert f"seed 0: finished before, read from {seed0}" in again.stdout
    assert os.path.getmtime(seed0) == made                       # not run again
    assert os.path.exists(seed1)                                 # resumed: its final evaluation
    assert again.stdout.count("| median |") == 1
    # without --continue the folder that holds a run is refused, as run.py refuses it
    refused = bench("--seeds", "0", "--out", out, "--", *SMALL)
    assert refused.returncode == 1 and "--overwrite" in refused.stderr
