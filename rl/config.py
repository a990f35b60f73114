"""Hyperparameter dataclasses -> command-line flags.

Each experiment keeps its knobs in ONE dataclass, with a docstring under
every field (as CleanRL does).  `add_flags` turns the dataclass into argparse
flags whose --help text is that docstring and whose default is the field's
default, so the code, the help and the saved config.json can never disagree.
"""
import argparse
import ast
import dataclasses
import inspect
import textwrap


def field_docs(cls) -> dict:
    """{field name: the string literal written right under it} across the class hierarchy."""
    docs = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for node, nxt in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _typed(kind, choices=None):
    """An argparse `type` that gives a readable error for a value of the wrong kind."""
    def parse(text: str):
        if kind is bool:
            return _parse_bool(text)
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        return value
    parse.__name__ = kind.__name__
    return parse


def add_flags(parser: argparse.ArgumentParser, cls, choices: dict | None = None) -> None:
    """One --flag per dataclass field, help from its docstring, default from the class."""
    docs, choices = field_docs(cls), choices or {}
    for f in dataclasses.fields(cls):
        kind = f.type if isinstance(f.type, type) else {"int": int, "float": float, "str": str,
                                                          "bool": bool}.get(str(f.type), str)
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=_typed(kind),
                            default=default, choices=choices.get(f.name),
                            metavar=kind.__name__.upper() if f.name not in choices else None,
                            help=f"{docs.get(f.name, '')} (default: {default})".replace("%", "%%"))


def from_args(cls, args: argparse.Namespace):
    """Build the dataclass from parsed flags."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def check_ranges(cfg, rules: dict) -> None:
    """rules: field -> (predicate, 'allowed values' text). Raise ValueError naming the flag."""
    for name, (ok, allowed) in rules.items():
        value = getattr(cfg, name)
        if not ok(value):
            raise ValueError(f"--{name.replace('_', '-')} must be {allowed}, got {value!r}")
