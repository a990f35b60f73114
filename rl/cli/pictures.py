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
import re

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nnpy import Sequential

PANEL_W, PANEL_H = 320, 200
BAR, CHOSEN, TRACE, GRID = (120, 120, 200), (210, 40, 40), (30, 90, 200), (225, 225, 225)
TILE_GAP = 2
HELD_OUT_TITLE = "avg max_a Q(s, a) on held-out states (2013, Fig. 2)"
FILTERS_PER_ROW = 4
FONT = ImageFont.load_default(size=14)          # pillow's own scalable font: no font file needed
SMALL = ImageFont.load_default(size=12)


def axis_ticks(lo: float, hi: float, n: int = 5, thousands: bool = False) -> list[tuple[float, str]]:
    """Round values (1, 2 or 5 times a power of ten apart) from lo to hi, with their labels:
    as many decimals as the spacing needs, never "-0"; thousands: 250000 -> "250k"."""
    raw = (hi - lo) / n
    exp = int(np.floor(np.log10(raw))) if raw > 0 else 0
    nice = sorted(m * 10.0 ** e for e in range(exp - 3, exp + 2) for m in (1, 2, 5))
    k = next(i for i, v in enumerate(nice) if v >= raw)             # about n ticks ...
    while k > 0 and np.floor(hi / nice[k]) - np.ceil(lo / nice[k]) < 2:
        k -= 1                                                      # ... and never fewer than 3
    step = nice[k]
    values = [float(round(v, 12)) + 0.0 for v in np.arange(np.ceil(lo / step) * step, hi + 1e-9, step)]  # + 0.0: no -0
    if thousands:
        decimals = max(0, -int(np.floor(np.log10(step / 1000))))
        return [(v, f"{v / 1000:.{decimals}f}k" if v else "0") for v in values]
    decimals = max(0, -int(np.floor(np.log10(step))))
    return [(v, f"{v:.{decimals}f}") for v in values]


def vertical_text(img: Image.Image, centre: tuple[float, float], text: str, font=FONT) -> None:
    """text written bottom to top (a y-axis label), centred on `centre`."""
    w = int(ImageDraw.Draw(img).textlength(text, font=font)) + 2
    label = Image.new("RGB", (w, font.size + 4), "white")
    ImageDraw.Draw(label).text((1, 1), text, fill="black", font=font)
    label = label.rotate(90, expand=True)
    img.paste(label, (round(centre[0] - label.width / 2), round(centre[1] - label.height / 2)))


def draw_axes(img: Image.Image, box: tuple, x_max: float, y_range: tuple[float, float],
              x_label: str, y_label: str, y_ticks: int = 5, font=FONT):
    """The frame `box` (left, top, right, bottom), grid lines, tick labels on both axes and both
    axis labels (the y label along the image's left edge).  Returns px(x, y) -> pixel, for
    0 <= x <= x_max and y in y_range."""
    d = ImageDraw.Draw(img)
    lo, hi = y_range
    x_max = max(x_max, 1e-9)

    def px(x, y):
        return (box[0] + (box[2] - box[0]) * x / x_max,
                box[3] - (box[3] - box[1]) * (y - lo) / (hi - lo))

    d.rectangle(box, outline="black")
    for v, text in axis_ticks(lo, hi, y_ticks):
        _, y0 = px(0, v)
        d.line([box[0] - 4, y0, box[2], y0], fill=GRID)
        d.line([box[0] - 4, y0, box[0], y0], fill="black")
        d.text((box[0] - 6, y0), text, fill="black", font=font, anchor="rm")
    for v, text in axis_ticks(0, x_max, 4, thousands=x_max >= 10_000):
        x0, _ = px(v, lo)
        d.line([x0, box[3], x0, box[3] + 4], fill="black")
        d.text((x0, box[3] + 6), text, fill="black", font=font, anchor="mt")
    d.text(((box[0] + box[2]) / 2, box[3] + 10 + font.size), x_label, fill="black", font=font, anchor="mt")
    vertical_text(img, (4 + font.size / 2, (box[1] + box[3]) / 2), y_label, font)
    return px


def value_range(values) -> tuple[float, float]:
    """(lo, hi) around every value, padded by 5%, never empty."""
    lo, hi = (float(np.min(values)), float(np.max(values))) if len(values) else (0.0, 1.0)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def line_chart(title: str, xs, ys, x_max: float, y_range: tuple[float, float] | None = None,
               size: tuple[int, int] = (PANEL_W, PANEL_H), x_label: str = "steps", y_label: str = "",
               top: int = 24, bottom: int = 44, font=SMALL) -> Image.Image:
    """ys against xs (0 <= x <= x_max) as a line on labelled axes; a dot marks the last point.
    top, bottom: the margins above and below the frame (to line it up with another chart)."""
    w, h = size
    y_range = y_range or value_range(ys)
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    widest = max(d.textlength(text, font=font) for _, text in axis_ticks(*y_range, 4))
    box = (font.size + 14 + widest, top, w - 16, h - bottom)
    px = draw_axes(img, box, x_max, y_range, x_label, y_label, 4, font)
    d.text((box[0], top - 6), title, fill="black", font=font, anchor="ls")
    points = [px(x, y) for x, y in zip(xs, ys)]
    if len(points) >= 2:
        d.line(points, fill=TRACE, width=2)
    if points:
        x0, y0 = points[-1]
        d.ellipse([x0 - 3, y0 - 3, x0 + 3, y0 + 3], fill=TRACE)
    return img


def action_words(name: str) -> list[str]:
    """An action's name in lines that fit under a bar: "RIGHTFIRE" -> ["RIGHT", "FIRE"]."""
    return re.sub(r"(?<=.)(FIRE|UP|DOWN|LEFT|RIGHT)", r" \1", name).split() or [name]


def bars_width(names: list[str], font=SMALL) -> int:
    """A Q-value panel wide enough that every action's name fits whole under its bar."""
    widest = max(font.getlength(word) for name in names for word in action_words(name) + ["-00.00"])
    return max(PANEL_W, 20 + len(names) * round(widest + 10))


def q_bars(q: np.ndarray, names: list[str], chosen: int, y_range: tuple[float, float],
           size: tuple[int, int] = (PANEL_W, PANEL_H), font=SMALL) -> Image.Image:
    """One bar per action, height Q(s, a) measured from the panel's zero line; the action
    the greedy policy takes (argmax) in red, which a legend under the title says.  q: (A,)."""
    w, h = size
    lo, hi = min(y_range[0], 0.0), max(y_range[1], 0.0)
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    lines = max(len(action_words(n)) for n in names)
    top, bottom = 42, h - 8 - (lines + 1) * (font.size + 2)

    def py(v):
        return bottom - (bottom - top) * (v - lo) / (hi - lo)

    slot = (w - 20) / len(q)
    d.text((10, 4), "Q(s, a) of each action a", fill="black", font=font)
    d.rectangle([10, 24, 20, 34], fill=CHOSEN)
    d.text((26, 22), "red: the action chosen, the largest Q", fill="black", font=font)
    d.line([10, py(0), w - 10, py(0)], fill="black")
    for a, value in enumerate(q):
        x0, x1, centre = 10 + (a + 0.15) * slot, 10 + (a + 0.85) * slot, 10 + (a + 0.5) * slot
        y0, y1 = sorted((py(0), py(value)))
        d.rectangle([x0, y0, x1, y1], fill=CHOSEN if a == chosen else BAR)
        for k, word in enumerate(action_words(names[a]) + [f"{value:.2f}"]):
            d.text((centre, bottom + 4 + k * (font.size + 2)), word, fill="black", font=font, anchor="mt")
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
    size = (bars_width(names), PANEL_H)
    for t, frame in enumerate(frames):
        panel = stacked(q_bars(qs[t], names, int(qs[t].argmax()), bar_range, size),
                        line_chart("V(s) = max_a Q(s, a) over the episode", steps[:t + 1], v[:t + 1],
                                   max(len(v) - 1, 1), v_range, size, x_label="step of the episode",
                                   y_label="V(s)"))
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


def quadrant_grid(shape: tuple[int, int], moves: dict, exits: dict, title: str = "") -> Image.Image:
    """shape: (rows, columns).  moves: (row, column) -> {"N": Q, "S": Q, "E": Q, "W": Q} for an
    ordinary cell; exits: (row, column) -> reward.  Any other cell is drawn as a wall (grey).
    Above the grid, `title`; below it, the colour scale from -peak to +peak."""
    rows, cols = shape
    c = QUAD_CELL
    grid = Image.new("RGB", (cols * c + 1, rows * c + 1), (128, 128, 128))
    d = ImageDraw.Draw(grid)
    peak = max([abs(v) for q in moves.values() for v in q.values()] + [abs(v) for v in exits.values()] + [1e-9])
    for (r, col), q in moves.items():
        x, y = col * c, r * c
        centre = (x + c / 2, y + c / 2)
        for move, side in QUAD_SIDES.items():
            d.polygon(side(x, y, c) + [centre], fill=value_colour(q[move], peak), outline="white")
            fx, fy = QUAD_TEXT[move]
            d.text((x + fx * c, y + fy * c), f"{q[move]:.2f}", fill="white", font=SMALL, anchor="mm")
    for (r, col), reward in exits.items():
        x, y = col * c, r * c
        d.rectangle([x, y, x + c, y + c], fill=value_colour(reward, peak), outline="white")
        d.rectangle([x + 8, y + 8, x + c - 8, y + c - 8], outline="white")
        d.text((x + c / 2, y + c / 2), f"{reward:+.2f}", fill="white", font=FONT, anchor="mm")
    return stacked(titled(title, grid) if title else grid, colour_scale(grid.width, peak))


def colour_scale(width: int, peak: float) -> Image.Image:
    """A bar of value_colour from -peak (left) through 0 to +peak (right), with its values."""
    img = Image.new("RGB", (width, 44), "white")
    d = ImageDraw.Draw(img)
    left, right = 20, width - 20
    for x in range(left, right + 1):
        d.line([x, 6, x, 20], fill=value_colour(peak * (2 * (x - left) / (right - left) - 1), peak))
    for v in (-peak, 0.0, peak):
        x = left + (right - left) * (v / peak + 1) / 2
        d.line([x, 20, x, 24], fill="black")
        d.text((x, 26), f"{v:+.2f}" if v else "0", fill="black", font=SMALL, anchor="mt")
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
    """img under a title (one line or several, split at newlines)."""
    lines = title.split("\n")
    width = max(SMALL.getlength(line) for line in lines) + 4
    top = 4 + len(lines) * (SMALL.size + 4)
    out = Image.new("RGB", (max(img.width, round(width)), img.height + top), "white")
    ImageDraw.Draw(out).multiline_text((2, 2), title, fill="black", font=SMALL, spacing=4)
    out.paste(img.convert("RGB"), (0, top))
    return out


def labelled_grid(grid: Image.Image, tile: tuple[int, int], columns: list[str], rows: list[str]) -> Image.Image:
    """grid (tiles of tile = (width, height) pixels) with a label over each column of tiles and
    one left of each row."""
    left = round(max(SMALL.getlength(r) for r in rows)) + 8
    out = Image.new("RGB", (grid.width + left, grid.height + SMALL.size + 6), "white")
    d = ImageDraw.Draw(out)
    for k, text in enumerate(columns):
        d.text((left + (k + 0.5) * tile[0], 2), text, fill="black", font=SMALL, anchor="mt")
    for k, text in enumerate(rows):
        d.text((left - 6, SMALL.size + 6 + (k + 0.5) * tile[1]), text, fill="black", font=SMALL, anchor="rm")
    out.paste(grid.convert("RGB"), (left, SMALL.size + 6))
    return out


def first_layer(net: Sequential, x: np.ndarray) -> np.ndarray:
    """ReLU(first layer(x)) for a batch x (N, ...) -> (N, OH, OW, F) or (N, M)."""
    first, activation = net.layers[0], net.layers[1]                # conv or dense, then ReLU
    return activation.forward(first.forward(x.astype(first.params["w"].dtype)))


def black_maps_sentence(act: np.ndarray, peaks: np.ndarray, n_states: int, what: str) -> str:
    """What the all-zero ("black") maps or units of one input are: act (..., F) of that input,
    peaks (F,) the largest value of each over n_states inputs (this one among them).  A unit
    0 on every input is dead (ReLU never lets anything through); one 0 on this input only
    has nothing to see here."""
    black = (act.reshape(-1, act.shape[-1]).max(axis=0) <= 0)
    dead = black & (peaks <= 0)
    if not black.any():
        return f"no {what} is all 0 (black) for this input"
    return (f"{black.sum()} of {black.size} {what}s are all 0 (black) for this input: "
            f"{dead.sum()} of them are 0 on all {n_states} inputs of the episode (dead units),\n"
            f"{(black & ~dead).sum()} respond on other inputs (nothing for them to see in this one)")


def filters_picture(net: Sequential, x: np.ndarray, episode: list | None = None) -> Image.Image:
    """The first layer's weights and what the first two layers (weights, ReLU) make of one
    network input x (no batch axis, already scaled as the network sees it).

    Convolutional first layer, w (KH, KW, C, F): FILTERS_PER_ROW filters a row, each as C
    tiles side by side, one per input channel (for Atari: the 4 stacked frames, oldest
    left); then the F feature maps ReLU(conv(x)), each (OH, OW).  Dense first layer, w (D, M):
    the whole matrix as one tile (D rows, M columns), and the M activations of x as a strip.
    `episode`: batches of inputs (N, ...) x was taken from; a sentence says which black maps
    stay black on all of them (dead units) and which respond elsewhere."""
    w = net.layers[0].params["w"]
    act = first_layer(net, x[None])[0]                               # (OH, OW, F) or (M,)
    batches = episode if episode is not None else [x[None]]
    peaks = np.max([first_layer(net, b).reshape(-1, w.shape[-1]).max(axis=0) for b in batches], axis=0)
    n_states = sum(len(b) for b in batches)
    if w.ndim == 4:
        kh, kw, c, f = w.shape
        per_row, scale = FILTERS_PER_ROW * c, max(1, 48 // kh)       # each filter: c tiles in a row
        weights = tiles(w.transpose(3, 2, 0, 1).reshape(f * c, kh, kw), per_row, scale, True)
        channels = [f"t-{c - 1 - k}" if k < c - 1 else "t" for k in range(c)]
        weights = labelled_grid(weights, (kw * scale + TILE_GAP, kh * scale + TILE_GAP),
                                channels * FILTERS_PER_ROW,
                                [f"filters {r + 1}-{min(r + FILTERS_PER_ROW, f)}"
                                 for r in range(0, f, FILTERS_PER_ROW)])
        per_row, scale = min(f, 8), max(1, 96 // act.shape[0])
        maps = tiles(act.transpose(2, 0, 1), per_row, scale, False)
        maps = labelled_grid(maps, (act.shape[1] * scale + TILE_GAP, act.shape[0] * scale + TILE_GAP),
                             [str(k + 1) for k in range(per_row)],
                             [f"maps {r + 1}-{min(r + per_row, f)}" for r in range(0, f, per_row)])
        return stacked(titled(f"layer 1: {f} filters {kh}x{kw}, each over the {c} input frames "
                              f"(columns t-3 ... t: oldest to newest);\nrows: {FILTERS_PER_ROW} filters "
                              f"a row; grey 0, light +, dark -", weights),
                       titled(f"what each filter finds in one input: {f} feature maps "
                              f"{act.shape[0]}x{act.shape[1]} after ReLU (white: the map's largest);\n"
                              + black_maps_sentence(act, peaks, n_states, "map"), maps))
    d, m = w.shape
    weights = tiles(w[None], 1, max(1, 480 // max(d, m)), True)
    strip = tiles(act[None, None, :], 1, max(1, 480 // m), False)
    return stacked(titled(f"layer 1 weights: rows: the {d} inputs, columns: the {m} units "
                          f"(grey 0, light +, dark -)", weights),
                   titled(f"the {m} units' activations for one input after ReLU (white: the largest);\n"
                          + black_maps_sentence(act, peaks, n_states, "unit"), strip))
