"""A hyperparameter dataclass -> command-line flags.

Each experiment keeps its knobs in ONE dataclass, with a docstring under
every field (as CleanRL does).  `add_flags` turns every field into a flag:

    lr: float = 1e-4                        --lr FLOAT   Adam's step size (default: 0.0001)
    \"\"\"Adam's step size

    The measurements behind the default, for the reader of the source.\"\"\"

The help text is the docstring's first paragraph (what the knob does, and in
a few words why its default; at most two lines of --help), the rest stays in
the source for whoever wants the evidence.  The default is the field's
default, and a field named in the class's CHOICES registry accepts exactly that
registry's keys, so the code, --help and the saved config.json never disagree.
The class's GROUPS put the flags under headings in --help, in the order they
are listed.  Python keeps no field docstrings at run time, so `field_docs`
reads them from the class's source.
"""
import argparse
import ast
import dataclasses
import difflib
import inspect
import math
import re
import textwrap


def field_docs(cls, whole: bool = False) -> dict:
    """{field name: the first paragraph (whole: all) of the string literal written right
    under it}, subclasses overriding bases."""
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
                text = textwrap.dedent(nxt.value.value).strip()
                docs[node.target.id] = " ".join((text if whole else text.split("\n\n")[0]).split())
    return docs


def flag_groups(cls) -> list[tuple[str, list[str]]]:
    """[(heading, [field names])] from cls.GROUPS, without names cls has no field for; fields
    GROUPS does not name come last, under "other options", so none is left without a flag."""
    fields = [f.name for f in dataclasses.fields(cls)]
    groups = [(title, [n for n in names if n in fields]) for title, names in getattr(cls, "GROUPS", ())]
    groups = [(title, names) for title, names in groups if names]
    named = {n for _, names in groups for n in names}
    rest = [n for n in fields if n not in named]
    return groups + [("other options", rest)] if rest else groups


def nearest_flag(parser: argparse.ArgumentParser, word: str) -> str | None:
    """The parser's flag closest to the misspelt `word` ("--step" -> "--steps"), if any is close."""
    close = difflib.get_close_matches(word.split("=")[0], list(parser._option_string_actions), n=1)
    return close[0] if close else None


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag gets one line instead of the whole usage block (~40 flags),
    and no abbreviated flags (--l for --lr), so what was given can be read off argv."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)
        # argparse takes "-1e1" for a flag, not a value (it knows only -1 and -1.5 as
        # negative numbers), so --v-min -1e1 would fail; argparse keeps its pattern in this
        # private attribute, so a later Python could ignore it (then -1e1 fails as before)
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message: str):
        given = message.removeprefix("unrecognized arguments: ")
        if given != message:                  # name each unknown flag, and the flag it may mean
            flags = [w for w in given.split()
                     if w.startswith("-") and not self._negative_number_matcher.match(w)]
            message = "; ".join(self.unknown_flag(w) for w in flags) or message
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


    def unknown_flag(self, word: str) -> str:
        near = nearest_flag(self, word)
        return f"unknown flag {word}" + (f" (did you mean {near}?)" if near else "")


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
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        if kind is float and not math.isfinite(value):      # inf, nan, 1e309: no knob takes them
            raise argparse.ArgumentTypeError(f"expected a finite float, got {text!r}")
        return value
    parse.__name__ = kind.__name__
    return parse


def add_flags(parser, cls, names: list[str] | None = None) -> None:
    """One --flag per dataclass field (or per field in `names`, in that order) on `parser`
    (a parser or one of its argument groups): help from its docstring, default from the
    class, choices from the class's CHOICES registries."""
    docs, choices = field_docs(cls), getattr(cls, "CHOICES", {})
    kinds = {"int": int, "float": float, "str": str, "bool": bool}
    by_name = {f.name: f for f in dataclasses.fields(cls)}
    for f in (by_name[n] for n in (names if names is not None else by_name)):
        kind = f.type if isinstance(f.type, type) else kinds.get(str(f.type), str)
        allowed = list(choices[f.name]) if f.name in choices else None
        switch = {"nargs": "?", "const": True} if kind is bool else {}   # --dueling alone: true
        parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=_typed(kind),
                            default=f.default, choices=allowed, **switch,
                            metavar=None if allowed else kind.__name__.upper(),
                            help=f"{docs.get(f.name, '')} (default: {f.default})".replace("%", "%%"))


def add_grouped_flags(parser: argparse.ArgumentParser, cls) -> None:
    """Every field's flag, under the headings of flag_groups(cls)."""
    for title, names in flag_groups(cls):
        add_flags(parser.add_argument_group(title), cls, names)


def from_args(cls, args: argparse.Namespace):
    """Build the dataclass from parsed flags."""
    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})
