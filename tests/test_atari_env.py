"""AtariEnv on real ROMs: a lost life is a terminal but not a new game, rewards are clipped to
their sign (the true score stays in info), no-ops and FIRE at reset, the action sets, and
game names that resolve or fail helpfully."""
import gymnasium as gym
import numpy as np
import pytest
from ale_py import Action

from atari.env import AtariEnv
from atari.games import all_games, env_id, resolve
from atari.preprocess import phi_frame

NOOP, FIRE = 0, 1                   # indices into the minimal action set of Breakout


class CountingALE:
    """Stands in for env.ale and records every action sent to the emulator."""

    def __init__(self, ale):
        self.ale, self.actions = ale, []

    def act(self, action, *args):
        self.actions.append(action)
        return self.ale.act(action, *args)

    def __getattr__(self, name):
        return getattr(self.ale, name)


class ScriptedALE(CountingALE):
    """CountingALE that can also take a life away, or end the game after `end_after` more frames."""

    def __init__(self, ale):
        super().__init__(ale)
        self.life_taken, self.end_after, self.last_two = False, None, []

    def act(self, action, *args):
        if self.end_after is not None:
            self.end_after -= 1
        reward = super().act(action, *args)
        self.last_two = [*self.last_two[-1:], self.ale.getScreenRGB()]     # the last two frames played
        return reward

    def lives(self):
        return self.ale.lives() - self.life_taken

    def game_over(self, with_truncation=True):
        return self.end_after == 0 or self.ale.game_over(with_truncation=with_truncation)


def play(env: AtariEnv, action: int, max_steps: int = 2_000) -> tuple[list[dict], bool, bool]:
    """Repeat one action until the episode ends -> (every step's info, terminated, truncated)."""
    infos = []
    for _ in range(max_steps):
        _, _, terminated, truncated, info = env.step(action)
        infos.append(info)
        if terminated or truncated:
            break
    return infos, terminated, truncated


def test_a_lost_life_is_terminal_but_the_next_reset_continues_the_game():
    env = AtariEnv("breakout", seed=0)                          # life_loss_terminal=True
    _, info = env.reset()
    assert info["lives"] == 5
    infos, terminated, truncated = play(env, NOOP)              # the paddle never moves: the ball is lost
    assert terminated and not truncated
    assert not infos[-1]["game_over"] and infos[-1]["lives"] == 4
    frames_played = env.ale.getEpisodeFrameNumber()
    s, info = env.reset()
    assert info["lives"] == 4                                   # the same game, one life fewer
    assert env.ale.getEpisodeFrameNumber() == frames_played + 1  # FIRE only: no new game, no no-ops
    assert not s[..., :3].any()                                 # but a fresh frame stack


def test_without_life_loss_terminals_only_game_over_ends_the_episode():
    env = AtariEnv("breakout", seed=0, life_loss_terminal=False)
    env.reset()
    infos, terminated, truncated = play(env, FIRE)              # FIRE relaunches the ball after each loss
    assert terminated and not truncated
    assert infos[-1]["game_over"] and infos[-1]["lives"] == 0
    assert {info["lives"] for info in infos} == {0, 1, 2, 3, 4, 5}      # four lost lives went by


def test_rewards_are_clipped_to_their_sign_and_info_keeps_the_true_score():
    clipped, raw = (AtariEnv("space_invaders", seed=1, clip_rewards=c) for c in (True, False))
    clipped.reset()
    raw.reset()
    rng = np.random.default_rng(0)
    scores = []
    for _ in range(60):
        a = int(rng.integers(clipped.n_actions))
        _, r_clipped, *_, info_clipped = clipped.step(a)
        _, r_raw, *_, info_raw = raw.step(a)
        assert info_clipped["score"] == info_raw["score"] == r_raw       # the same play, the true score
        assert r_clipped == np.sign(r_raw)
        scores.append(r_raw)
    assert max(scores) > 1                                      # an invader is worth 5 to 30 points


def test_without_no_ops_the_same_seed_gives_the_same_first_frame():
    first = [AtariEnv("pong", seed=7, noop_max=0).reset()[0] for _ in range(2)]
    np.testing.assert_array_equal(*first)
    env = AtariEnv("pong", seed=7, noop_max=0)
    env.reset()
    assert env.ale.getEpisodeFrameNumber() == 1                 # only FIRE was pressed


def test_reset_plays_between_0_and_noop_max_no_ops_then_fire():
    noop_max = 2
    env = AtariEnv("breakout", noop_max=noop_max, max_episode_steps=1)
    env.ale = CountingALE(env.ale)
    counts = []
    for seed in range(8):
        env.ale.actions.clear()
        env.reset(seed=seed)
        *noops, fire = env.ale.actions
        assert noops == [env.action_set[NOOP]] * len(noops) and fire == env.action_set[FIRE]
        assert env.ale.getEpisodeFrameNumber() == len(noops) + 1
        counts.append(len(noops))
        _, _, terminated, truncated, info = env.step(NOOP)      # the time limit ends the game...
        assert truncated and not terminated and info["game_over"]    # ...so the next reset starts one
    assert set(counts) == set(range(noop_max + 1))              # both ends of [0, noop_max] occur


def test_a_life_lost_on_the_step_that_runs_out_of_time_ends_the_game():
    env = AtariEnv("breakout", noop_max=0, max_episode_steps=1)
    env.ale = ScriptedALE(env.ale)
    env.reset()
    env.ale.life_taken = True                                   # the ball is lost on this step
    _, _, terminated, truncated, info = env.step(NOOP)          # ...which is also the last allowed
    assert terminated and not truncated                         # no future: no bootstrap
    assert info["game_over"]                                    # and out of time: a new game next
    env.ale.life_taken = False
    env.reset()
    assert env.ale.getEpisodeFrameNumber() == 1                 # FIRE only, in a new game


@pytest.mark.parametrize("frames_left", [1, 2, 3, 4])
def test_a_game_that_ends_inside_the_repeat_shows_its_last_frame(frames_left):
    env = AtariEnv("pong", seed=0)
    env.ale = ScriptedALE(env.ale)
    env.reset()
    for _ in range(60):                                         # into the rally: the screen moves
        env.step(2)
    before, played = env.ale.getScreenRGB(), len(env.ale.actions)
    env.ale.end_after = frames_left                             # the game ends after this many frames
    s, _, terminated, _, info = env.step(2)
    last = env.ale.getScreenRGB()                               # the last frame played
    assert terminated and info["game_over"]
    assert len(env.ale.actions) == played + frames_left         # the repeat stopped there
    if frames_left <= 3:                                        # ended early: its last frame, twice
        np.testing.assert_array_equal(s[..., 3], phi_frame(last, last))
    else:                                                       # the whole repeat: its last two frames
        np.testing.assert_array_equal(s[..., 3], phi_frame(*env.ale.last_two))
    assert (phi_frame(last, last) != phi_frame(before, before)).any()     # a stale frame would show


def test_no_op_starts_press_noop_even_where_action_0_is_not_noop():
    env = AtariEnv("video_checkers", noop_max=30)               # its minimal set starts with FIRE
    assert env.action_set[0] == Action.FIRE
    env.ale = CountingALE(env.ale)
    for seed in range(3):
        env.game_over = True
        env.reset(seed=seed)
    assert env.ale.actions and set(env.ale.actions) == {Action.NOOP}


@pytest.mark.parametrize("life_loss_terminal", [True, False])
def test_the_emulators_frame_cap_is_a_truncation_not_a_terminal(life_loss_terminal):
    # a 200-frame cap instead of 108,000: the game is cut long before anyone wins it
    env = AtariEnv("pong", noop_max=0, max_frames=200, life_loss_terminal=life_loss_terminal)
    env.reset()
    infos, terminated, truncated = play(env, NOOP)
    assert truncated and not terminated                         # so the last target still bootstraps
    assert env.ale.game_truncated() and not env.ale.game_over(with_truncation=False)
    assert len(infos) == (200 - 1 + 3) // 4                     # 1 FIRE frame, then 4 frames a step
    assert infos[-1]["game_over"]                               # ... and the next reset starts a new game
    env.reset()
    assert env.ale.getEpisodeFrameNumber() == 1


def test_fire_at_reset_only_for_games_whose_action_1_is_fire():
    breakout = AtariEnv("breakout", noop_max=0)
    assert breakout.needs_fire and breakout.meanings[FIRE] == "FIRE"
    breakout.ale = CountingALE(breakout.ale)
    breakout.reset()
    assert breakout.ale.actions == [breakout.action_set[FIRE]]
    freeway = AtariEnv("freeway", noop_max=0)                   # NOOP, UP, DOWN: no FIRE
    assert not freeway.needs_fire
    freeway.ale = CountingALE(freeway.ale)
    freeway.reset()
    assert freeway.ale.actions == []


def test_steps_give_an_oldest_first_stack_of_84_by_84_frames():
    env = AtariEnv("pong", seed=0)
    s, _ = env.reset()
    for _ in range(5):
        s2, *_ = env.step(2)
        assert s2.shape == (84, 84, 4) and s2.dtype == np.uint8
        np.testing.assert_array_equal(s2[..., :3], s[..., 1:])   # the stack slides by one frame
        s = s2


def test_minimal_and_full_action_sets():
    pong = AtariEnv("pong")
    assert pong.n_actions == 6
    assert pong.meanings == ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"]
    assert [a.name for a in pong.action_set] == pong.meanings    # agent action k is emulator action
    full = AtariEnv("pong", full_action_space=True)
    assert full.n_actions == 18 and [a.name for a in full.action_set] == full.meanings


def test_game_names_resolve_or_name_the_closest_games():
    assert resolve("pong") == "pong"
    assert resolve("SpaceInvaders") == resolve("space-invaders") == "space_invaders"
    assert env_id("space_invaders") == "ALE/SpaceInvaders-v5"
    assert resolve("tic_tac_toe_3d") == "tic_tac_toe_3d"                 # not spelt by rule:
    assert env_id("tic_tac_toe_3d") == "ALE/TicTacToe3D-v5"              # ...3D, not ...3d
    assert all(env_id(rom) in gym.registry for rom in all_games())
    with pytest.raises(ValueError, match="unknown Atari game 'pongg'; closest: pong"):
        resolve("pongg")
    with pytest.raises(ValueError, match=r"games, e\.g\. "):
        resolve("xyzzy")                                        # nothing close: some valid names
