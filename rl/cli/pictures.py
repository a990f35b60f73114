"""Pictures of what a network learned, drawn with pillow (no matplotlib).

    line_chart          a value against environment steps (the average max Q of curve.png,
                        and the V(s) trace of a GIF)
    q_value_frames      a GIF frame per step: the game, each action's Q(s, a) as a bar, and
                        V(s) = max_a Q(s, a) over the episode so far (Mnih et al. 2013,
                        Fig. 3; 2015, Extended Data Fig. 2)
    filters_picture     the first layer's weights and the feature maps of one input
    quadrant_grid       a grid world's Q(s, a) as CS188 draws it: each cell cut into four
                        triangles, one per move, green for positive values, red for negative

Every function returns a PIL image; the caller saves it.
"""
import numpy as np
from PIL import Image, ImageDraw

from nnpy import Sequential

PANEL_W, PANEL_H, MARGIN = 320, 200, 40
BAR, CHOSEN, TRACE = (120, 120, 200), (210, 40, 40), (30, 90, 200)
TILE_GAP = 2
HELD_OUT_TITLE = "avg max_a Q(s, a) on held-out states (2013, Fig. 2)"
FILTERS_PER_ROW = 4


def _ticks(lo: float, hi: float, n: int = 5) -> list:
    """Round values (1, 2 or 5 times a power of ten apart) from lo to hi for axis labels."""
    raw = (hi - lo) / n
    mag = 10 ** np.floor(np.log10(raw)) if raw > 0 else 1
    step = min((m * mag for m in (1, 2, 5, 10) if m * mag >= raw), default=mag)
    return list(np.arange(np.ceil(lo / step) * step, hi + 1e-9, step))


def value_range(values) -> tuple[float, float]:
    """(lo, hi) around every value, padded by 5%, never empty."""
    lo, hi = (float(np.min(values)), float(np.max(values))) if len(values) else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def line_chart(title: str, xs, ys, x_max: float, y_range: tuple[float, float] | None = None,
               size: tuple[int, int] = (PANEL_W, PANEL_H), x_label: str = "steps") -> Image.Image:
    """ys against xs (0 <= x <= x_max) as a line with y ticks; a dot marks the last point."""
    w, h = size
    lo, hi = y_range or value_range(ys)
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    box = (MARGIN + 10, 20, w - 10, h - 25)                       # left, top, right, bottom

    def px(x, y):
        return (box[0] + (box[2] - box[0]) * x / max(x_max, 1e-9),
                box[3] - (box[3] - box[1]) * (y - lo) / (hi - lo))

    d.rectangle(box, outline="black")
    for v in _ticks(lo, hi, 4):
        _, y0 = px(0, v)
        d.line([box[0] - 3, y0, box[2], y0], fill=(225, 225, 225))
        d.text((2, y0 - 6), f"{v:.3g}", fill="black")
    d.text((box[0], 4), title, fill="black")
    d.text((box[2] - 6 * len(x_label), box[3] + 6), x_label, fill="black")
    d.text((box[0], box[3] + 6), "0", fill="black")
    points = [px(x, y) for x, y in zip(xs, ys)]
    if len(points) >= 2:
        d.line(points, fill=TRACE, width=2)
    if points:
        x0, y0 = points[-1]
        d.ellipse([x0 - 3, y0 - 3, x0 + 3, y0 + 3], fill=TRACE)
    return img


def q_bars(q: np.ndarray, names: list[str], chosen: int, y_range: tuple[float, float],
           size: tuple[int, int] = (PANEL_W, PANEL_H)) -> Image.Image:
    """One bar per action, height Q(s, a) measured from the panel's zero line; the action
    the greedy policy takes (argmax) in red.  q: (A,)."""
    w, h = size
    lo, hi = min(y_range[0], 0.0), max(y_range[1], 0.0)
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    top, bottom = 20, h - 30

    def py(v):
        return bottom - (bottom - top) * (v - lo) / (hi - lo)

    slot = (w - 20) / len(q)
    d.text((10, 4), "Q(s, a) of each action", fill="black")
    d.line([10, py(0), w - 10, py(0)], fill="black")
    for a, value in enumerate(q):
        x0 = 10 + a * slot + 0.15 * slot
        x1 = 10 + (a + 1) * slot - 0.15 * slot
        y0, y1 = sorted((py(0), py(value)))
        d.rectangle([x0, y0, x1, y1], fill=CHOSEN if a == chosen else BAR)
        d.text((x0, bottom + 4), names[a][:8], fill="black")
        d.text((x0, bottom + 16), f"{value:.2f}", fill="black")
    return img


def beside(*images: Image.Image) -> Image.Image:
    """The images left to right, tops aligned, on white."""
    out = Image.new("RGB", (sum(i.width for i in images), max(i.height for i in images)), "white")
    x = 0
    for i in images:
        out.paste(i, (x, 0))
        x += i.width
    return out


def stacked(*images: Image.Image) -> Image.Image:
    """The images top to bottom, left edges aligned, on white."""
    out = Image.new("RGB", (max(i.width for i in images), sum(i.height for i in images)), "white")
    y = 0
    for i in images:
        out.paste(i, (0, y))
        y += i.height
    return out


def q_value_frames(frames: list[np.ndarray], qs: list[np.ndarray], names: list[str]) -> list[Image.Image]:
    """A GIF frame per step: the game (H, W, 3) on the left; on the right each action's
    Q(s_t, a; θ) as a bar and V(s) = max_a Q(s, a) from the episode's start to step t.

    frames[t] is the screen the network saw when it chose, qs[t] its (A,) Q-values.
    The axes are fixed over the whole episode, so the bars and the trace can be compared
    from frame to frame."""
    qs = np.asarray(qs, dtype=np.float64)                         # (T, A)
    v = qs.max(axis=1)                                            # (T,)  V(s_t)
    bar_range, v_range = value_range(qs), value_range(v)
    steps = np.arange(len(v))
    out = []
    for t, frame in enumerate(frames):
        panel = stacked(q_bars(qs[t], names, int(qs[t].argmax()), bar_range),
                        line_chart("V(s) = max_a Q(s, a)", steps[:t + 1], v[:t + 1], max(len(v) - 1, 1),
                                   v_range, x_label="step of the episode"))
        game = Image.fromarray(frame)
        if game.height < panel.height:                            # Atari's 210 rows: scale up
            scale = panel.height / game.height
            game = game.resize((round(game.width * scale), panel.height), Image.NEAREST)
        out.append(beside(game, panel))
    return out


QUAD_CELL = 110
QUAD_SIDES = {"N": lambda x, y, c: [(x, y), (x + c, y)], "S": lambda x, y, c: [(x, y + c), (x + c, y + c)],
              "E": lambda x, y, c: [(x + c, y), (x + c, y + c)], "W": lambda x, y, c: [(x, y), (x, y + c)]}
QUAD_TEXT = {"N": (0.5, 0.18), "S": (0.5, 0.82), "E": (0.8, 0.5), "W": (0.2, 0.5)}


def value_colour(v: float, peak: float) -> tuple[int, int, int]:
    """Black at 0, brighter green for positive and red for negative values, full at ±peak."""
    t = min(abs(v) / peak, 1.0) if peak > 0 else 0.0
    return (0, round(40 + 180 * t), 0) if v > 0 else (round(40 + 180 * t), 0, 0) if v < 0 else (0, 0, 0)


def quadrant_grid(shape: tuple[int, int], moves: dict, exits: dict) -> Image.Image:
    """shape: (rows, columns).  moves: (row, column) -> {"N": Q, "S": Q, "E": Q, "W": Q} for an
    ordinary cell; exits: (row, column) -> reward.  Any other cell is drawn as a wall."""
    rows, cols = shape
    c = QUAD_CELL
    img = Image.new("RGB", (cols * c + 1, rows * c + 1), (128, 128, 128))
    d = ImageDraw.Draw(img)
    peak = max([abs(v) for q in moves.values() for v in q.values()] + [abs(v) for v in exits.values()] + [1e-9])
    for (r, col), q in moves.items():
        x, y = col * c, r * c
        centre = (x + c / 2, y + c / 2)
        for move, side in QUAD_SIDES.items():
            d.polygon(side(x, y, c) + [centre], fill=value_colour(q[move], peak), outline="white")
            fx, fy = QUAD_TEXT[move]
            d.text((x + fx * c - 14, y + fy * c - 6), f"{q[move]:.2f}", fill="white")
    for (r, col), reward in exits.items():
        x, y = col * c, r * c
        d.rectangle([x, y, x + c, y + c], fill=value_colour(reward, peak), outline="white")
        d.rectangle([x + 8, y + 8, x + c - 8, y + c - 8], outline="white")
        d.text((x + c / 2 - 14, y + c / 2 - 6), f"{reward:+.2f}", fill="white")
    return img


def save_gif(images: list[Image.Image], path: str, ms_per_frame: int = 33) -> None:
    """An animated GIF, every frame mapped to the fixed 216-colour web palette: choosing a
    palette per frame (pillow's default) took 48 ms a frame, this takes 6."""
    frames = [i.convert("P", palette=Image.Palette.WEB, dither=Image.Dither.NONE) for i in images]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)


def tiles(maps: np.ndarray, columns: int, scale: int, symmetric: bool) -> Image.Image:
    """maps (K, h, w) -> one grey image of K tiles, each scaled `scale` times, each tile
    normalised on its own.  symmetric: 0 is mid-grey, + lighter, − darker (weights);
    otherwise 0 is black (ReLU activations)."""
    k, h, w = maps.shape
    rows = -(-k // columns)
    tile_h, tile_w = h * scale + TILE_GAP, w * scale + TILE_GAP
    img = Image.new("L", (columns * tile_w, rows * tile_h), 255)
    for i, m in enumerate(maps.astype(np.float64)):
        if symmetric:
            peak = np.abs(m).max() or 1.0
            grey = 127.5 + 127.5 * m / peak
        else:
            peak = m.max() or 1.0
            grey = 255 * np.clip(m, 0, None) / peak
        tile = Image.fromarray(grey.astype(np.uint8)).resize((w * scale, h * scale), Image.NEAREST)
        img.paste(tile, ((i % columns) * tile_w, (i // columns) * tile_h))
    return img


def titled(title: str, img: Image.Image) -> Image.Image:
    """img under a one-line title."""
    out = Image.new("RGB", (max(img.width, 8 * len(title)), img.height + 18), "white")
    ImageDraw.Draw(out).text((2, 2), title, fill="black")
    out.paste(img.convert("RGB"), (0, 18))
    return out


def filters_picture(net: Sequential, x: np.ndarray) -> Image.Image:
    """The first layer's weights and what the first two layers (weights, ReLU) make of one
    network input x (no batch axis, already scaled as the network sees it).

    Convolutional first layer, w (KH, KW, C, F): FILTERS_PER_ROW filters a row, each as C
    tiles side by side, one per input channel (for Atari: the 4 stacked frames, oldest
    left); then the F feature maps
    ReLU(conv(x)), each (OH, OW).  Dense first layer, w (D, M): the whole matrix as one
    tile (D rows, M columns), and the M activations of x as a strip."""
    first, activation = net.layers[0], net.layers[1]                # conv or dense, then ReLU
    w = first.params["w"]
    act = activation.forward(first.forward(x[None].astype(w.dtype)))[0]   # (OH, OW, F) or (M,)
    if w.ndim == 4:
        kh, kw, c, f = w.shape
        per_row = FILTERS_PER_ROW * c                              # each filter: c tiles in a row
        weights = tiles(w.transpose(3, 2, 0, 1).reshape(f * c, kh, kw), per_row, max(1, 48 // kh), True)
        maps = tiles(act.transpose(2, 0, 1), min(f, 8), max(1, 96 // act.shape[0]), False)
        return stacked(titled(f"layer 1: {f} filters {kh}x{kw} over {c} channels "
                              f"(each: {c} tiles, one per channel; grey 0, light +, dark -)", weights),
                       titled(f"feature maps of one input after ReLU: {f} x {act.shape[0]}x{act.shape[1]}",
                              maps))
    d, m = w.shape
    weights = tiles(w[None], 1, max(1, 480 // max(d, m)), True)
    strip = tiles(act[None, None, :], 1, max(1, 480 // m), False)
    return stacked(titled(f"layer 1: weights {d} inputs (rows) x {m} units (grey 0, light +, dark -)",
                          weights),
                   titled(f"the {m} units' activations for one input after ReLU", strip))
