"""What the end-to-end tests of `run.py cartpole` and `run.py atari` share: running run.py in a
subprocess, checking in this process that a command refuses bad input as promised, and
reading the files a run writes."""
import csv
import json
import os
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_FILES = {"config.json", "progress.csv", "curve.png", "checkpoint.npz", "best.npz", "summary.json"}
# one BLAS thread: the networks are tiny, and two busy threads per test process would fight
# with whatever else the machine is doing
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def run_py(command: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python run.py <command> <args>` from the repository root."""
    return subprocess.run([sys.executable, "run.py", command, *args], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=timeout)


def error_line(main, prog: str, argv: list[str], capsys) -> str:
    """main(argv) in this process must refuse the input as the CLI promises: exit status 2 and
    one line on stderr, "run.py <prog>: error: ...".  Returns that line."""
    try:
        status = main(argv)
    except SystemExit as e:                 # argparse errors exit this way
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and err.startswith(f"run.py {prog}: error:"), (status, err)
    return err.strip()


def read_csv(path: str) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def start_long_run(out: str, small: list[str], *, rows: int = 3) -> subprocess.Popen:
    """A `run.py cartpole` subprocess with the flags `small` but a million steps, returned once
    progress.csv has `rows` rows (learning under way); the test then signals it."""
    csv_path = os.path.join(out, "progress.csv")
    proc = subprocess.Popen([sys.executable, "run.py", "cartpole", *small, "--steps", "1000000",
                             "--out", out], cwd=REPO, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (os.path.exists(csv_path) and len(read_csv(csv_path)) >= rows):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.05)
    return proc


#: a Pong run small enough for a test: 900 steps, learning from step 300, one-game evaluations
SMALL_PONG = ["--game", "pong", "--steps", "900", "--buffer-size", "2000", "--learning-starts", "300",
              "--batch-size", "8", "--train-every", "4", "--eval-every", "900", "--eval-episodes", "1",
              "--final-eval-episodes", "1", "--log-every", "300"]
