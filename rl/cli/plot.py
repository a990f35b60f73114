"""curve.png: the learning curve, drawn with pillow (no matplotlib needed).

Grey dots are the returns of training episodes (ε-greedy, so noisy), the
blue line their running mean, red squares the greedy evaluations.  Beside
them, the average max_a Q(s, a) over the held-out states (rl/held_out.py):
the same states every time, so it rises smoothly where returns are noisy.
"""
import numpy as np
from PIL import Image, ImageDraw

from nnpy import atomic_file

from .pictures import HELD_OUT_TITLE, _ticks, beside, line_chart

W, H, LEFT, RIGHT, TOP, BOTTOM = 800, 480, 70, 20, 40, 50
Q_PANEL_W = 420


def plot_curve(path: str, title: str, episode_steps, episode_returns, eval_steps, eval_returns,
               total_steps: int, threshold: float | None = None, window: int = 20,
               q_steps=(), avg_max_q=()) -> None:
    """Write the learning curve to `path` (PNG), with the average max Q beside it if given."""
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    ys = list(episode_returns) + list(eval_returns) + ([threshold] if threshold is not None else [])
    y_lo, y_hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if y_hi - y_lo < 1e-9:
        y_lo, y_hi = y_lo - 1, y_hi + 1
    pad = 0.05 * (y_hi - y_lo)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    x_hi = max(total_steps, 1)

    def px(step, value):
        return (LEFT + (W - LEFT - RIGHT) * step / x_hi,
                H - BOTTOM - (H - TOP - BOTTOM) * (value - y_lo) / (y_hi - y_lo))

    d.rectangle([LEFT, TOP, W - RIGHT, H - BOTTOM], outline="black")
    for v in _ticks(y_lo, y_hi):
        x0, y0 = px(0, v)
        d.line([LEFT - 4, y0, W - RIGHT, y0], fill=(225, 225, 225))
        d.text((5, y0 - 6), f"{v:g}", fill="black")
    for s in _ticks(0, x_hi):
        x0, _ = px(s, y_lo)
        d.line([x0, H - BOTTOM, x0, H - BOTTOM + 4], fill="black")
        d.text((x0 - 15, H - BOTTOM + 8), f"{s / 1000:g}k", fill="black")
    d.text((W // 2 - 60, H - 18), "environment steps", fill="black")
    d.text((LEFT, 10), title, fill="black")
    if threshold is not None:
        _, yt = px(0, threshold)
        d.line([LEFT, yt, W - RIGHT, yt], fill=(0, 150, 0))
        d.text((W - RIGHT - 120, yt - 14), f"threshold {threshold:g}", fill=(0, 150, 0))
    for s, r in zip(episode_steps, episode_returns):
        x0, y0 = px(s, r)
        d.ellipse([x0 - 1, y0 - 1, x0 + 1, y0 + 1], fill=(170, 170, 170))
    if len(episode_returns) >= 2:
        r = np.asarray(episode_returns, dtype=float)
        mean = np.convolve(r, np.ones(window), "valid") / window if len(r) >= window else np.cumsum(r) / np.arange(1, len(r) + 1)
        steps = list(episode_steps)[len(r) - len(mean):]
        d.line([px(s, m) for s, m in zip(steps, mean)], fill=(30, 90, 200), width=2)
    for s, r in zip(eval_steps, eval_returns):
        x0, y0 = px(s, r)
        d.rectangle([x0 - 3, y0 - 3, x0 + 3, y0 + 3], fill=(210, 40, 40))
    d.text((W - RIGHT - 330, TOP + 5), "grey: episodes   blue: running mean   red: greedy eval",
           fill="black")
    if len(avg_max_q):
        img = beside(img, line_chart(HELD_OUT_TITLE, q_steps, avg_max_q, x_hi, size=(Q_PANEL_W, H),
                                     x_label="environment steps"))
    with atomic_file(path) as f:       # never half a picture on disk
        img.save(f, format="PNG")
