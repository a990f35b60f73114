"""An Atari game as the DQN papers play it.

The ALE is created with frameskip 1 (one emulator frame per call) and
everything the papers add on top is done here, in plain sight:

- action repeat: each agent action is held for 4 frames ("frame skipping",
  Mnih et al. 2013 §5), so the agent decides 15 times a second;
- φ on the last two frames of the repeat (flicker max, luminance, 84×84) and
  a stack of the last 4 (see preprocess.py);
- up to 30 random no-op frames at reset, so games do not always start the
  same way (Mnih et al. 2015, Methods, Evaluation procedure);
- FIRE at reset in every game whose action 1 is FIRE (Breakout launches the ball only
  then; in games that do not wait for it, it is one frame of play);
- for *learning* only: a lost life is a terminal state (the game goes on),
  and rewards are clipped to their sign, -1, 0 or +1 (2015, Methods), so one
  learning rate suits every game.  info["score"] always carries the true
  reward, and info["game_over"] says when the whole game ended.

Terminated or truncated?  `terminated` means the game itself is over (or, for
learning, a life was lost): there is no future to bootstrap from.  A time
limit only stops the clock, so it is `truncated`: the emulator's own cap of
`max_frames` frames per game (the ALE's `game_truncated()`; 108,000 frames
is 30 minutes of play, the usual cap, counted including no-ops) and this
class's `max_episode_steps`.  `ale.game_over()` alone counts the emulator's
cap as a game over, which would make a time-limited game look terminal.
"""
import gymnasium as gym
import numpy as np
from ale_py import Action

from .games import env_id
from .preprocess import LUMINANCE, FrameStack, phi_frame

FRAME_SKIP = 4
MAX_FRAMES = 108_000                # emulator frames per game: 30 minutes at 60 frames/s
MAX_EPISODE_STEPS = MAX_FRAMES // FRAME_SKIP


class AtariEnv:
    """step(a) -> (stack (84, 84, 4) uint8, reward, terminated, truncated, info)."""

    def __init__(self, rom: str, seed: int = 0, life_loss_terminal: bool = True,
                 clip_rewards: bool = True, noop_max: int = 30, sticky_actions: bool = False,
                 full_action_space: bool = False, max_episode_steps: int = MAX_EPISODE_STEPS,
                 max_frames: int = MAX_FRAMES, luminance: str = "rec709"):
        self.gym_env = gym.make(env_id(rom), frameskip=1, full_action_space=full_action_space,
                                repeat_action_probability=0.25 if sticky_actions else 0.0,
                                max_num_frames_per_episode=max_frames)
        self.ale = self.gym_env.unwrapped.ale            # the emulator itself
        # agent action k -> the emulator's action: the game's minimal set (Pong: 6) or all 18
        self.action_set = self.ale.getLegalActionSet() if full_action_space else self.ale.getMinimalActionSet()
        self.meanings = self.gym_env.unwrapped.get_action_meanings()
        self.n_actions = len(self.action_set)
        self.life_loss_terminal, self.clip_rewards = life_loss_terminal, clip_rewards
        self.noop_max, self.max_episode_steps = noop_max, max_episode_steps
        self.weights = LUMINANCE[luminance]
        self.rng = np.random.default_rng(seed)
        self.stack = FrameStack()
        self.screens = [np.zeros((210, 160, 3), np.uint8), np.zeros((210, 160, 3), np.uint8)]
        self.needs_fire = len(self.meanings) > 1 and self.meanings[1] == "FIRE"
        self.game_over, self.steps, self.lives = True, 0, 0

    def _frame(self) -> np.ndarray:
        """The current screen, preprocessed (no max: at reset there is one frame)."""
        self.ale.getScreenRGB(self.screens[1])
        return phi_frame(self.screens[1], self.screens[1], self.weights)

    def _act(self, action_index: int) -> tuple[float, np.ndarray]:
        """Repeat one action for FRAME_SKIP frames -> (summed reward, φ frame (84, 84)).

        φ looks at the last two frames of the repeat.  A game that ends inside the repeat
        stops it there, and φ shows the last frame played (twice if it was the first, second
        or third of the repeat)."""
        reward = 0.0
        for k in range(FRAME_SKIP):
            reward += self.ale.act(self.action_set[action_index])
            if k >= FRAME_SKIP - 2:                      # only the last two frames are looked at
                self.ale.getScreenRGB(self.screens[k - (FRAME_SKIP - 2)])
            if self.ale.game_over():
                if k < FRAME_SKIP - 1:                   # ended early: its last frame, twice
                    self.ale.getScreenRGB(self.screens[0])
                    self.screens[1][...] = self.screens[0]
                break
        return reward, phi_frame(self.screens[0], self.screens[1], self.weights)

    def reset(self, seed: int | None = None):
        """A new game if the last one ended; after a lost life only a fresh stack (and FIRE)."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        if self.game_over:
            self.gym_env.reset(seed=int(self.rng.integers(2**31)))
            for _ in range(int(self.rng.integers(self.noop_max + 1))):   # 0..30 no-op frames
                self.ale.act(Action.NOOP)                # not action_set[0]: in two games that is FIRE
                if self.ale.game_over():
                    self.gym_env.reset()
            self.game_over, self.steps = False, 0
        if self.needs_fire:
            self.ale.act(self.action_set[1])
        self.lives = self.ale.lives()
        return self.stack.reset(self._frame()), {"lives": self.lives}

    def step(self, action: int):
        score, frame = self._act(action)
        self.steps += 1
        life_lost = self.ale.lives() < self.lives
        self.lives = self.ale.lives()
        terminated = self.ale.game_over(with_truncation=False) or (self.life_loss_terminal and life_lost)
        out_of_time = self.ale.game_truncated() or self.steps >= self.max_episode_steps
        truncated = not terminated and out_of_time
        # next reset: a new game, also when a life was lost on the step that ran out of time
        self.game_over = self.ale.game_over(with_truncation=False) or out_of_time
        reward = float(np.sign(score)) if self.clip_rewards else score
        info = {"score": score, "game_over": self.game_over, "lives": self.lives}
        return self.stack.push(frame), reward, terminated, truncated, info

    def render(self) -> np.ndarray:
        """The current screen in colour, (210, 160, 3) uint8 (for GIFs)."""
        return self.ale.getScreenRGB()
