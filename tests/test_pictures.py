"""What the network learned, made visible: the shape summary, the held-out average max Q, and
the pictures (Q-value bars with the V(s) trace, first-layer filters and feature maps).

Untrained networks and a handful of states keep this fast; the pictures written by real runs
are checked in test_cartpole_cli.py."""
import numpy as np
import pytest
from PIL import Image

from atari.networks import build_net
from nnpy.summary import layer_table, summary
from rl.cli.cartpole import CartPoleConfig, build_mlp, make_task
from rl.cli.pictures import (SMALL, action_words, axis_ticks, bars_width, black_maps_sentence,
                             filters_picture, first_layer, line_chart, q_value_frames)
from rl.dqn import DQNAgent
from rl.held_out import average_max_q, collect_states


def assert_drawn(img: Image.Image, size: tuple[int, int]) -> None:
    """The picture has the expected size and is not one flat colour."""
    assert img.size == size
    lo, hi = img.convert("L").getextrema()
    assert hi - lo > 50, (lo, hi)


def test_summary_of_the_2013_network():
    net = build_net("dqn2013", 6, np.random.default_rng(0))
    rows = layer_table(net, (84, 84, 4))
    assert [shape for _, shape, _ in rows] == ["84×84×4", "20×20×16", "9×9×32", "2592", "256", "6"]
    # parameters: 8·8·4·16 + 16, 4·4·16·32 + 32, 2592·256 + 256, 256·6 + 6
    assert [params for _, _, params in rows] == [0, 4_112, 8_224, 0, 663_808, 1_542]
    assert sum(p.size for p in net.parameters().values()) == 677_686
    text = summary(net, (84, 84, 4))
    assert text.splitlines()[0] == "84×84×4 -> 20×20×16 -> 9×9×32 -> 2592 -> 256 -> 6"
    assert text.splitlines()[-1].split() == ["total", "677,686"]


def test_summary_of_the_2015_network_and_the_cartpole_mlp():
    net = build_net("dqn2015", 4, np.random.default_rng(0))
    assert summary(net, (84, 84, 4)).splitlines()[0] == \
        "84×84×4 -> 20×20×32 -> 9×9×64 -> 7×7×64 -> 3136 -> 512 -> 4"
    mlp = build_mlp(64, np.random.default_rng(0))
    assert summary(mlp, (4,)).splitlines()[0] == "4 -> 64 -> 64 -> 2"


def test_atari_help_gives_each_networks_shapes(capsys):
    """--arch's help (two lines) names the networks and where they are built; its docstring,
    which the help comes from, gives the shape chains, and they are the ones the code builds."""
    from atari.cli import AtariConfig, main
    from atari.networks import ARCHS
    from rl.cli.flags import field_docs
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "dqn2013 with a max pool (atari/networks.py)" in help_text
    doc = field_docs(AtariConfig, whole=True)["arch"]
    for arch in ARCHS:
        chain = summary(build_net(arch, 6, np.random.default_rng(0)), (84, 84, 4)).splitlines()[0]
        assert f"{arch} " in doc and chain[:-len("6")] + "A" in doc, arch


def test_held_out_states_are_seeded_and_leave_other_generators_alone():
    task = make_task(CartPoleConfig())
    global_state = np.random.get_state()[1].copy()
    a = collect_states(task.make_env, 2, seed=7, count=60)
    b = collect_states(task.make_env, 2, seed=7, count=60)
    assert a.shape == (60, 4) and np.array_equal(a, b)
    assert not np.array_equal(a, collect_states(task.make_env, 2, seed=8, count=60))
    assert np.array_equal(np.random.get_state()[1], global_state)


def test_average_max_q_by_hand():
    states = np.arange(10.0)[:, None]                       # (10, 1)

    def q_values(s):                                        # Q(s, ·) = (s, -s)
        return np.concatenate([s, -s], axis=1)

    assert average_max_q(q_values, states, batch=3) == pytest.approx(np.mean(np.arange(10.0)))


def test_average_max_q_of_a_network():
    rng = np.random.default_rng(0)
    agent = DQNAgent(build_mlp(8, rng))
    states = rng.standard_normal((25, 4)).astype(np.float32)
    expected = agent.q_values(states).max(axis=1).mean()
    assert average_max_q(agent.q_values, states, batch=10) == pytest.approx(expected, rel=1e-6)


def test_line_chart_is_drawn():
    assert_drawn(line_chart("avg max Q", [0, 1, 2], [0.0, 0.5, 2.0], 2), (320, 200))


def test_q_value_frames_show_the_game_the_bars_and_the_trace():
    rng = np.random.default_rng(0)
    frames = [np.full((210, 160, 3), 90, np.uint8) for _ in range(3)]
    qs = [rng.standard_normal(6) for _ in range(3)]
    images = q_value_frames(frames, qs, ["NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE", "LEFTFIRE"])
    assert len(images) == 3
    game_w = round(160 * 400 / 210)                         # the screen is scaled to the panel height
    assert_drawn(images[-1], (game_w + 320, 400))
    chosen = images[0].crop((game_w, 0, game_w + 320, 200))   # the bar panel has a red bar
    assert (210, 40, 40) in {c for _, c in chosen.getcolors(100_000)}


def test_filters_picture_of_the_2013_network():
    rng = np.random.default_rng(0)
    net = build_net("dqn2013", 6, rng)
    img = filters_picture(net, rng.random((84, 84, 4)).astype(np.float32))
    # 16 filters × 4 channels of 8×8 at 6× (+2 px gaps), 4 filters a row, with their labels
    assert img.width > 16 * (48 + 2) and img.height > 4 * (48 + 2) + 2 * (80 + 2)
    assert_drawn(img, img.size)


def test_filters_picture_of_the_cartpole_mlp():
    rng = np.random.default_rng(0)
    img = filters_picture(build_mlp(64, rng), rng.standard_normal(4))
    assert img.width >= 64 * 7 and img.height > 4 * 7 + 7          # 7 px a unit
    assert_drawn(img, img.size)


def test_black_maps_are_told_apart_into_dead_units_and_units_with_nothing_to_see():
    act = np.zeros((2, 2, 4))                    # one input's maps: (OH, OW, F)
    act[0, 1, 3] = 0.5                           # only map 4 sees something here
    peaks = np.array([0.0, 0.0, 0.7, 0.5])       # over the episode: maps 1 and 2 never fire
    assert black_maps_sentence(act, peaks, 9, "map") == (
        "3 of 4 maps are all 0 (black) for this input: 2 of them are 0 on all 9 inputs of the "
        "episode (dead units),\n1 respond on other inputs (nothing for them to see in this one)")


def test_a_dead_unit_of_a_real_network_is_counted_as_dead():
    rng = np.random.default_rng(0)
    net = build_mlp(8, rng)
    net.layers[0].params["b"][:3] = -1e3         # units 1-3 can never be positive: dead
    net.layers[0].params["b"][3:] = 1e3          # the others always are
    x = rng.standard_normal((5, 4))
    text = black_maps_sentence(
        first_layer(net, x[:1])[0], first_layer(net, x).max(axis=0), 5, "unit")
    assert "0 on all 5 inputs of the episode" in text and text.split(": ")[1].startswith("3 of them")


def test_axis_ticks_are_round_never_minus_zero_and_at_least_three():
    assert axis_ticks(-22, 22) == [(-20.0, "-20"), (-10.0, "-10"), (0.0, "0"), (10.0, "10"), (20.0, "20")]
    assert [t for _, t in axis_ticks(-0.8, 0.75)] == ["-0.5", "0.0", "0.5"]
    assert [t for _, t in axis_ticks(0, 400_000, 4, thousands=True)] == ["0", "100k", "200k", "300k", "400k"]
    assert [t for _, t in axis_ticks(84.95, 85.05, 4)][:3] == ["84.96", "84.98", "85.00"]
    for lo, hi in [(0, 1e-6), (83.9, 84.1), (-1.0, -0.99), (0, 3)]:
        assert len(axis_ticks(lo, hi, 4)) >= 3, (lo, hi)


def test_action_names_are_drawn_whole_in_lines_that_fit_their_bars():
    assert action_words("RIGHTFIRE") == ["RIGHT", "FIRE"]
    assert action_words("UPLEFTFIRE") == ["UP", "LEFT", "FIRE"]
    assert action_words("NOOP") == ["NOOP"] and action_words("0") == ["0"]
    full = ["NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN", "UPRIGHT", "UPLEFT", "DOWNRIGHT", "DOWNLEFT",
            "UPFIRE", "RIGHTFIRE", "LEFTFIRE", "DOWNFIRE", "UPRIGHTFIRE", "UPLEFTFIRE", "DOWNRIGHTFIRE",
            "DOWNLEFTFIRE"]
    assert bars_width(full[:6]) == 320                      # Pong's six fit the usual panel
    slot = (bars_width(full) - 20) / len(full)              # all 18: the panel grows instead
    assert slot > max(SMALL.getlength(w) for n in full for w in action_words(n))
