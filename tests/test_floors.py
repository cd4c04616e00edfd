"""The floors job (.ci/floors) pins each runtime dependency at the minimum that
pyproject.toml declares: the two files must name the same packages and versions."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*>=\s*([0-9][0-9.]*)$")


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _declared_floors() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["gan"]
    floors = {}
    for requirement in requirements:
        match = SPEC.match(requirement.strip())
        assert match, f"{requirement!r} declares no plain minimum version"
        floors[match[1].lower()] = match[2]
    return floors


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    return pins


def test_floors_pin_every_runtime_dependency_and_nothing_else():
    assert set(_pins()) == set(_declared_floors())


def test_each_pin_is_the_declared_minimum():
    # The pin may add a patch level to the declared minimum (where the .0 release is
    # yanked, the oldest that installs is .1), never a newer minor release.
    pins = _pins()
    for name, floor in _declared_floors().items():
        declared, pinned = _release(floor), _release(pins[name])
        padded = declared + (0,) * (len(pinned) - len(declared))
        assert pinned >= padded and pinned[: len(declared)] == declared, (name, floor, pins[name])
