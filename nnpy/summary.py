"""A network's layers, one line each: what it is, the shape it outputs, and its parameter count.

    dqn2013 on Pong:  84×84×4 -> 20×20×16 -> 9×9×32 -> 2592 -> 256 -> 6

The shapes are not computed from formulas here but measured, by pushing one
zero input through the network, so the table cannot disagree with the code.
A convolution's output side is (side - kernel) // stride + 1 (nnpy/conv.py),
and its parameters are kernel·kernel·in_channels·filters weights plus one bias
per filter; a dense layer has in·out weights plus out biases.
"""
import numpy as np

from .network import Sequential


def describe(config: dict) -> str:
    """A layer's config() as a short name: 'Conv2D 16 8×8 /4', 'Dense 256', 'ReLU',
    'Dueling 2×256: V 1, A 6' (two streams of 256 hidden units), 'Categorical 6×51 atoms'."""
    kind = config["type"]
    if kind == "Conv2D":
        k = config["kernel_size"]
        return f"Conv2D {config['out_channels']} {k}×{k} /{config['stride']}"
    if kind in ("Dense", "NoisyDense"):
        return f"{kind} {config['out_features']}"
    if kind == "Dueling":
        noisy = " (noisy)" if config["noisy"] else ""
        return f"Dueling{noisy} 2×{config['hidden']}: V 1, A {config['n_actions']}"
    if kind == "CategoricalHead":
        return f"Categorical {config['n_actions']}×{config['atoms']} atoms"
    if kind == "MaxPool2D":
        k = config["kernel_size"]
        return f"MaxPool2D {k}×{k} /{config['stride']}"
    return kind


def shape_text(shape: tuple) -> str:
    """One example's shape, batch axis dropped: (1, 20, 20, 16) -> '20×20×16'."""
    return "×".join(str(s) for s in shape[1:])


def layer_table(net: Sequential, input_shape: tuple) -> list[tuple[str, str, int]]:
    """[(layer, output shape, parameters)] for one input of `input_shape` (no batch axis),
    starting with an 'input' row.  A ReLU (or other parameter-free activation) is folded
    into the row of the layer before it, as papers draw it."""
    x = np.zeros((1, *input_shape), dtype=net.dtype())
    rows = [("input", shape_text(x.shape), 0)]
    for layer in net.layers:
        x = layer.forward(x)
        name = describe(layer.config())
        params = sum(p.size for p in layer.params.values())
        if not layer.params and name in ("ReLU", "Sigmoid", "Tanh") and len(rows) > 1:
            prev = rows.pop()
            rows.append((f"{prev[0]} + {name}", prev[1], prev[2]))
        else:
            rows.append((name, shape_text(x.shape), params))
    return rows


def summary(net: Sequential, input_shape: tuple) -> str:
    """layer_table as aligned text, with the shape chain and the total parameter count."""
    rows = layer_table(net, input_shape)
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'layer':<{width}}{'output':<12}{'parameters':>12}", f"{'input':<{width}}{rows[0][1]}"]
    lines += [f"{name:<{width}}{shape:<12}{params:>12,}" for name, shape, params in rows[1:]]
    chain = " -> ".join(r[1] for r in rows)
    lines.append(f"{'total':<{width}}{'':<12}{sum(r[2] for r in rows):>12,}")
    return "\n".join([chain, *lines])
