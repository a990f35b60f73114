"""A hyperparameter dataclass -> command-line flags.

Each experiment keeps its knobs in ONE dataclass, with a docstring under
every field (as CleanRL does).  `add_flags` turns every field into a flag:

    lr: float = 1e-4                        --lr FLOAT   Adam learning rate (default: 0.0001)
    \"\"\"Adam learning rate\"\"\"

The help text is the field's docstring, the default is the field's default,
and a field named in the class's CHOICES registry accepts exactly that
registry's keys, so the code, --help and the saved config.json never disagree.
Python keeps no field docstrings at run time, so `field_docs` reads them from
the class's source.
"""
import argparse
import ast
import dataclasses
import inspect
import textwrap


def field_docs(cls) -> dict:
    """{field name: the string literal written right under it}, subclasses overriding bases."""
    docs = {}
    for klass in reversed(cls.__mro__):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(klass)))
        except (OSError, TypeError):            # object, or a class without source
            continue
        body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
        for node, nxt in zip(body, body[1:]):
            if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                    and isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant)
                    and isinstance(nxt.value.value, str)):
                docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line instead of the whole usage block (~40 flags),
    and no abbreviated flags (--l for --lr), so what was given can be read off argv."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _typed(kind):
    """An argparse `type` that gives a readable error for a value of the wrong kind."""
    def parse(text: str):
        if kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
    parse.__name__ = kind.__name__
    return parse


def add_flags(parser: argparse.ArgumentParser, cls) -> None:
    """One --flag per dataclass field: help from its docstring, default from the class,
    choices from the class's CHOICES registries."""
    docs, choices = field_docs(cls), getattr(cls, "CHOICES", {})
    kinds = {"int": int, "float": float, "str": str, "bool": bool}
    for f in dataclasses.fields(cls):
        kind = f.type if isinstance(f.type, type) else kinds.get(str(f.type), str)
        allowed = list(choices[f.name]) if f.name in choices else None
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=_typed(kind),
                            default=f.default, choices=allowed,
                            metavar=None if allowed else kind.__name__.upper(),
                            help=f"{docs.get(f.name, '')} (default: {f.default})".replace("%", "%%"))


def from_args(cls, args: argparse.Namespace):
    """Build the dataclass from parsed flags."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})
