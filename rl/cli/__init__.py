"""Everything between the algorithms in rl/ and a person at a terminal.

    command.py     run.py cartpole / atari: train, --resume, --eval (shared)
    flags.py       a hyperparameter dataclass -> command-line flags
    cartpole.py    run.py cartpole: CartPole's config, network and task
    gridworld.py   run.py gridworld: value iteration vs Q-learning, printed as grids
    run_folder.py  the files a training run writes, used by rl/train.py
    checkpoints.py checkpoint.npz and best.npz
    progress.py    progress.csv and the status line
    plot.py        curve.png
"""
