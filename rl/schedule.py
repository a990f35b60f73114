"""Exploration schedule."""


def linear_epsilon(step: int, start: float, end: float, decay_steps: int) -> float:
    """ε annealed linearly from `start` to `end` over `decay_steps`, then held.

        ε(t) = start + (end - start) · min(1, t / decay_steps)

    (Mnih et al. 2015 anneal 1.0 -> 0.1 over a million "frames" that their code counts in
    agent steps, 4 emulator frames each, from the end of the 50,000-step replay start.)
    """
    if decay_steps <= 0:
        return end
    return start + (end - start) * min(1.0, step / decay_steps)


def importance_beta(step: int, beta0: float, anneal_steps: int) -> float:
    """Prioritized replay's β annealed linearly from β0 to 1 over `anneal_steps`, then held:
    the sampling bias fully corrected from then on (Schaul et al. 2016, §3.4, reach 1 at the
    end of training)."""
    return linear_epsilon(step, beta0, 1.0, anneal_steps)
