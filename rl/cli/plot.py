"""curve.png: the learning curve, drawn with pillow (no matplotlib needed).

Grey dots are the returns of training episodes (ε-greedy, so noisy), the
blue line their running mean, red squares the greedy evaluations, a green
line the task's goal.  Beside them, the average max_a Q(s, a) over the
held-out states (rl/held_out.py): the same states every time, so it rises
smoothly where returns are noisy.  The x axes end at the run's last step.
"""
import numpy as np
from PIL import Image, ImageDraw

from nnpy import atomic_file

from .pictures import FONT, HELD_OUT_TITLE, beside, draw_axes, line_chart, value_range

W, H, LEFT, RIGHT, TOP, BOTTOM = 800, 480, 78, 24, 64, 56
Q_PANEL_W = 440
EPISODE, MEAN, EVAL, GOAL = (150, 150, 150), (30, 90, 200), (210, 40, 40), (0, 150, 0)


def legend(d: ImageDraw.ImageDraw, x: float, y: float, entries: list) -> None:
    """A row of (mark, colour, text) entries from (x, y); mark is "dot", "line" or "square"."""
    for mark, colour, text in entries:
        if mark == "dot":
            d.ellipse([x + 6, y + 5, x + 10, y + 9], fill=colour)
        elif mark == "line":
            d.line([x, y + 7, x + 16, y + 7], fill=colour, width=2)
        else:
            d.rectangle([x + 4, y + 3, x + 12, y + 11], fill=colour)
        d.text((x + 22, y), text, fill="black", font=FONT)
        x += 22 + d.textlength(text, font=FONT) + 18


def plot_curve(path: str, title: str, episode_steps, episode_returns, eval_steps, eval_returns,
               last_step: int, threshold: float | None = None, window: int = 20,
               q_steps=(), avg_max_q=()) -> None:
    """Write the learning curve up to last_step to `path` (PNG), with the average max Q
    beside it if given."""
    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    ys = list(episode_returns) + list(eval_returns) + ([threshold] if threshold is not None else [])
    y_range = value_range(ys)
    x_hi = max(last_step, 1)
    d.text((LEFT, 8), f"{title}: return of each game (episode)", fill="black", font=FONT)
    px = draw_axes(img, (LEFT, TOP, W - RIGHT, H - BOTTOM), x_hi, y_range, "environment steps",
                   "return")
    # only what is drawn: a curve re-drawn from progress.csv has evaluations but no episodes
    entries = ([("dot", EPISODE, "training episode"), ("line", MEAN, f"mean of {window}")]
               if len(episode_returns) else []) + ([("square", EVAL, "greedy evaluation")] if len(eval_returns) else [])
    if threshold is not None:
        _, yt = px(0, threshold)
        d.line([LEFT, yt, W - RIGHT, yt], fill=GOAL)
        entries.append(("line", GOAL, f"goal {threshold:g}"))
    legend(d, LEFT, 34, entries)
    for s, r in zip(episode_steps, episode_returns):
        x0, y0 = px(s, r)
        d.ellipse([x0 - 2, y0 - 2, x0 + 2, y0 + 2], fill=EPISODE)
    if len(episode_returns) >= 2:
        r = np.asarray(episode_returns, dtype=float)
        mean = np.convolve(r, np.ones(window), "valid") / window if len(r) >= window else np.cumsum(r) / np.arange(1, len(r) + 1)
        steps = list(episode_steps)[len(r) - len(mean):]
        d.line([px(s, m) for s, m in zip(steps, mean)], fill=MEAN, width=2)
    for s, r in zip(eval_steps, eval_returns):
        x0, y0 = px(s, r)
        d.rectangle([x0 - 3, y0 - 3, x0 + 3, y0 + 3], fill=EVAL)
    if len(avg_max_q):
        img = beside(img, line_chart(HELD_OUT_TITLE, q_steps, avg_max_q, x_hi, size=(Q_PANEL_W, H),
                                     x_label="environment steps", y_label="avg max Q",
                                     top=TOP, bottom=BOTTOM, font=FONT))
    with atomic_file(path) as f:       # never half a picture on disk
        img.save(f, format="PNG")
