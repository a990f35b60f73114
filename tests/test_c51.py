"""C51's categorical projection: a hand-worked example (an atom that lands between two, two
that land on atoms, and the clip at V_max and V_min), and agreement with eq. 7 written as
loops on random inputs, mass conserved."""
import numpy as np

from rl.c51 import categorical_projection, categorical_projection_naive


def test_projection_by_hand():
    z = np.array([-1.0, 0.0, 1.0])                              # K = 3, Δz = 1
    p = np.array([[0.2, 0.3, 0.5]] * 3)
    r = np.array([0.5, 2.0, -0.25])
    terminated = np.array([0.0, 1.0, 1.0])
    m = categorical_projection(r, terminated, np.full(3, 0.5), p, z)
    # row 0: T̂z = 0.5 + 0.5 z = (0, 0.5, 1): 0.2 all on atom 0.0; 0.3 halved between 0 and 1;
    #        0.5 all on atom 1.0
    np.testing.assert_allclose(m[0], [0.0, 0.2 + 0.15, 0.15 + 0.5])
    # row 1: terminal, r = 2 clipped to V_max = 1: everything on the top atom
    np.testing.assert_allclose(m[1], [0.0, 0.0, 1.0])
    # row 2: terminal, r = −0.25 lies 3/4 of the way from −1 to 0: a quarter to −1, 3/4 to 0
    np.testing.assert_allclose(m[2], [0.25, 0.75, 0.0])


def test_projection_agrees_with_the_equation_and_keeps_the_mass():
    rng = np.random.default_rng(0)
    B, K = 16, 11
    z = np.linspace(-10, 10, K)                                 # Δz = 2
    probs = rng.random((B, K))
    probs /= probs.sum(axis=1, keepdims=True)
    r = rng.choice([-1.0, 0.0, 1.0, 12.0, -2.0], size=B)        # 12 falls beyond V_max
    terminated = (rng.random(B) < 0.3).astype(float)
    discount = rng.choice([0.99, 0.5, 1.0], size=B)             # 1.0: moved atoms land on atoms
    m = categorical_projection(r, terminated, discount, probs, z)
    np.testing.assert_allclose(m, categorical_projection_naive(r, terminated, discount, probs, z),
                               atol=1e-12)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
