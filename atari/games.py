"""Atari game names: `--game pong` -> the ALE ROM id, with helpful errors."""
import difflib
import re

import ale_py
import gymnasium as gym

gym.register_envs(ale_py)       # makes the "ALE/<Game>-v5" ids known to gymnasium
# the emulator prints a two-line banner on every start; errors still get through
ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)

#: ROM id -> gymnasium id, as registered: 'space_invaders' -> 'ALE/SpaceInvaders-v5'.  Read
#: from the registry, not spelt by rule: 'tic_tac_toe_3d' is 'ALE/TicTacToe3D-v5'.
ENV_IDS = {spec.kwargs["game"]: name for name, spec in gym.registry.items()
           if name.startswith("ALE/") and name.endswith("-v5")}


def all_games() -> list[str]:
    """ROM ids that ship with ale-py and have a single-player gymnasium env, e.g. 'pong'."""
    return sorted(rom for rom in ale_py.roms.get_all_rom_ids() if rom in ENV_IDS)


def normalise(name: str) -> str:
    """'SpaceInvaders', 'space-invaders', 'space_invaders' -> 'space_invaders'."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    return re.sub(r"[-\s]+", "_", snake).lower()


def resolve(name: str) -> str:
    """The ROM id for `name`, or ValueError naming the closest valid games."""
    games = all_games()
    rom = normalise(name)
    if rom in games:
        return rom
    close = difflib.get_close_matches(rom, games, n=5, cutoff=0.5)
    hint = f"closest: {', '.join(close)}" if close else f"{len(games)} games, e.g. {', '.join(games[:8])}, ..."
    raise ValueError(f"unknown Atari game {name!r}; {hint}")


def env_id(rom: str) -> str:
    """'space_invaders' -> 'ALE/SpaceInvaders-v5' (gymnasium's registered id; rom from resolve)."""
    return ENV_IDS[rom]
