"""docs/GUIDE.md and README.md cite code and tests by name; every citation must exist.

    `path/file.py:function`   `path/file.py:Class.method`   `path/file.py:CONSTANT`
    `tests/test_file.py::test_name`

The file must exist and the name must be defined in it (found with ast, so a name in a
comment or a string does not count).  A rename that forgets the guide fails here.
Also here: facts the guide states that no other test covers.
"""
import ast
import math
import os
import re

import gymnasium as gym
import numpy as np
import pytest

from cli_helpers import REPO

DOCS = ["docs/GUIDE.md", "README.md"]
CODE = re.compile(r"`([\w/]+\.py):([A-Za-z_][\w.]*)`")            # `rl/dqn.py:DQNAgent.learn`
TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")                  # `tests/test_dqn.py::test_x`


def citations(pattern: re.Pattern) -> list[tuple[str, str, str]]:
    """(doc, path, name) for every match of pattern in the docs."""
    found = []
    for doc in DOCS:
        with open(os.path.join(REPO, doc), encoding="utf-8") as f:
            found += [(doc, path, name) for path, name in pattern.findall(f.read())]
    return found


def defined_names(path: str) -> set[str]:
    """Top-level functions, classes and assigned names, and 'Class.method' for methods."""
    with open(os.path.join(REPO, path), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}.{item.name}" for item in node.body
                      if isinstance(item, ast.FunctionDef)}
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def test_the_guide_cites_plenty():
    assert len(citations(CODE)) >= 60 and len(citations(TEST)) >= 40


@pytest.mark.parametrize("doc,path,name", sorted(set(citations(CODE))))
def test_cited_code_exists(doc, path, name):
    assert os.path.isfile(os.path.join(REPO, path)), f"{doc} cites {path}, which does not exist"
    assert name in defined_names(path), f"{doc} cites {path}:{name}, which is not defined there"


@pytest.mark.parametrize("doc,path,name", sorted(set(citations(TEST))))
def test_cited_tests_exist(doc, path, name):
    assert os.path.isfile(os.path.join(REPO, path)), f"{doc} cites {path}, which does not exist"
    assert name in defined_names(path), f"{doc} cites {path}::{name}, which is not defined there"


def test_the_guide_is_linked_from_the_top_of_the_readme():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        top = f.read()[:1500]
    assert "docs/GUIDE.md" in top


def test_cartpole_ends_at_12_degrees_while_the_observation_allows_24():
    """A common slip reads the observation bound (±0.418 rad ≈ ±24°) as where the episode ends;
    the episode ends when the pole passes ±12° = 0.2095 rad (and the cart ±2.4, bound ±4.8)."""
    env = gym.make("CartPole-v1").unwrapped
    assert env.theta_threshold_radians == pytest.approx(12 * 2 * math.pi / 360) == pytest.approx(0.2094, abs=1e-4)
    assert env.observation_space.high[2] == pytest.approx(2 * env.theta_threshold_radians, rel=1e-6)
    assert env.x_threshold == 2.4 and env.observation_space.high[0] == pytest.approx(4.8)
    env.reset(seed=0)
    env.state = np.array([0.0, 0.0, 0.2, 0.0])                        # 11.5°: still up
    assert not env.step(1)[2]
    env.state = np.array([0.0, 0.0, 0.22, 0.0])                        # 12.6°: the episode is over
    assert env.step(1)[2]


def test_the_readme_map_names_every_file():
    """"What is where" lists every module of the project, so a reader can find each one."""
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    start = readme.index("## What is where")
    table = readme[start:readme.index("\n## ", start + 1)]
    missing = []
    for folder in ("nnpy", "rl", "rl/cli", "atari", "bench"):
        for name in sorted(os.listdir(os.path.join(REPO, folder))):
            if name.endswith(".py") and name != "__init__.py" and f"`{name}`" not in table \
                    and f"`{folder}/{name}`" not in table:
                missing.append(f"{folder}/{name}")
    assert not missing, missing
