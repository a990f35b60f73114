"""The one entry point.

    python run.py gridworld            value iteration and tabular Q-learning
    python run.py cartpole             DQN on CartPole-v1
    python run.py atari --game pong    DQN from pixels on an Atari game

Each command lives in its own module; this file only dispatches, so
`python run.py <command> --help` shows that command's own flags.
"""
import sys

COMMANDS = {
    "gridworld": "rl.cli.gridworld",
    "cartpole": "rl.cli.cartpole",
    "atari": "atari.cli",
}


def suggestion(word: str) -> str:
    """What the user may have meant by an unknown command: a command spelt nearly so, or
    an Atari game's name (`run.py pong` -> `run.py atari --game pong`)."""
    import difflib
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    if close:
        return f"did you mean: python run.py {close[0]}?"
    from atari.games import all_games, normalise      # ale-py loads only on this path
    if normalise(word) in all_games():
        return f"a game is given with --game: python run.py atari --game {normalise(word)}"
    return f"choose one of: {', '.join(COMMANDS)}"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    command = argv[0]
    if command not in COMMANDS:
        print(f"run.py: error: unknown command {command!r}; {suggestion(command)}", file=sys.stderr)
        return 2
    import importlib
    try:
        module = importlib.import_module(COMMANDS[command])
        return module.main(argv[1:])
    except KeyboardInterrupt:         # Ctrl-C outside training (which saves and exits 130 itself)
        print(f"\nrun.py {command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
