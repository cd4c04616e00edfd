"""Every command shown in the docs runs. The commands are collected from the pages
(console blocks, indented blocks, inline code) and from the gallery's text; each is
run as shown, or in a quick variant where the real one takes minutes (the arena:
fewer steps and samples; installs: a dry run of the editable install without
dependencies, and a check that each extra named exists). A command that no rule here
knows fails the test, so a new command in the docs needs a way to run here."""

import functools
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _env() -> dict[str, str]:
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _commands_in(path: Path) -> list[str]:
    text = path.read_text()
    found = []
    if path.suffix == ".md":
        for block in re.findall(r"^```(?:console|bash|shell|sh)\n(.*?)^```", text, re.M | re.S):
            lines = [line for line in block.splitlines() if line.strip()]
            prompted = [line[2:] for line in lines if line.startswith("$ ")]
            found += prompted if prompted else lines
        text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # fenced blocks done
        found += re.findall(r"^    ((?:python|pip) .+)$", text, re.M)
        found += re.findall(r"`((?:python -m|pip install) [^`]+)`", text)
    else:  # an example's reST text: literal blocks
        found += re.findall(r"^    ((?:python|pip) .+)$", text, re.M)
    commands = [re.sub(r"\s+#.*$", "", command).strip() for command in found]
    # a program's message quoted in a literal block ("python -m x: error: ...") is output
    return [c for c in commands if not any(word.endswith(":") for word in c.split()[:3])]


def _same_run(command: str) -> str:
    """Commands that differ only in --seed and --out run the same code: one is enough."""
    return re.sub(r" --(seed|out) \S+", "", command)


def documented_commands() -> list[tuple[str, str]]:
    sources = sorted(DOCS.glob("*.md")) + sorted((DOCS / "examples").glob("*.py"))
    sources += [DOCS / "examples" / "GALLERY_HEADER.rst"]
    seen = {}
    for path in sources:
        for command in _commands_in(path):
            seen.setdefault(_same_run(command), (str(path.relative_to(ROOT)), command))
    return sorted(seen.values())


COMMANDS = documented_commands()


def test_the_docs_show_commands():
    shown = {command for _, command in COMMANDS}
    assert "python -m divergences" in shown
    assert any(c.startswith("python -m gan.arena") for c in shown)
    assert any(c.startswith("python -m sphinx") for c in shown)


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{shlex.join(argv)} failed:\n{proc.stderr[-3000:]}\n{proc.stdout[-2000:]}"
    return proc


def _option(argv: list[str], name: str, value: str) -> list[str]:
    """argv with option ``name`` set to ``value`` (replaced when present)."""
    if name in argv:
        argv = list(argv)
        argv[argv.index(name) + 1] = value
        return argv
    return [*argv, name, value]


def _quick_arena(argv: list[str]) -> list[str]:
    argv = _option(argv, "--steps", "1")
    argv = _option(argv, "--samples", "20")
    argv = _option(argv, "--workers", "1")
    argv = _option(argv, "--seeds", "1")
    argv = [a for a in argv if a != "--all"]  # --all would train every loss
    if "--losses" not in argv:
        argv = _option(argv, "--losses", "ns-sgan")
    if "--targets" not in argv or argv[argv.index("--targets") + 1] == "all":
        argv = _option(argv, "--targets", "ring8")
    return argv


def _check_install(argv: list[str], tmp_path: Path) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for word in argv[2:]:
        if word.startswith("torch"):
            assert word == "torch==2.13.0", f"torch must be pinned to its CPU build: {word}"
            continue
        match = re.fullmatch(r"(?:\.|divergences)(?:\[(.*)\])?", word)
        if match is None:
            assert word in ("-e",), f"unexpected install argument {word!r}"
            continue
        for extra in filter(None, (match.group(1) or "").split(",")):
            assert extra in extras, f"no extra {extra!r} in pyproject.toml"
        _editable_install_dry_run()


@functools.cache
def _editable_install_dry_run() -> None:
    """pip builds the project's metadata for an editable install (no download)."""
    _run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-build-isolation",
          "--no-index", "-e", str(ROOT)], ROOT)


def _run_documented(command: str, tmp_path: Path) -> str:
    outputs = []
    for part in (p.strip() for p in command.split("&&")):
        argv = shlex.split(part)
        if argv == ["python", "-m", "divergences"]:
            assert (ROOT / "tests" / "test_tour.py").is_file()  # runs it and checks every row
            continue
        if argv[:2] == ["pip", "install"]:
            _check_install(argv, tmp_path)
            continue
        if argv[:1] == ["dask"]:  # a cluster: check the entry point and its options exist
            help_text = _run([sys.executable, "-m", "distributed.cli.dask_" + argv[1], "--help"], tmp_path).stdout
            for option in (a for a in argv[2:] if a.startswith("--")):
                assert option in help_text, option
            continue
        assert argv[0] == "python", f"no rule runs this documented command: {part}"
        argv = [sys.executable, *argv[1:]]
        if argv[1:3] == ["-m", "sphinx"]:
            # the build itself runs in tests/docs/test_docs.py with these flags
            from tests.docs.test_docs import SPHINX_FLAGS

            assert argv[3:-2] == SPHINX_FLAGS and argv[-2] == "docs", part
            continue
        if argv[1:3] == ["-m", "pytest"]:
            # the suite itself runs the tests: here the selection is collected (exit 5:
            # it selects nothing on this machine, as `-m gpu` without a GPU)
            proc = subprocess.run([*argv, "tests", "--collect-only", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                                  env=_env(), capture_output=True, text=True, timeout=300)
            assert proc.returncode in (0, 5), proc.stdout[-2000:] + proc.stderr[-2000:]
            continue
        if argv[1:3] == ["-m", "benchmarks"]:
            # tests/benchmarks/test_benchmarks.py runs every area in its quick variant,
            # test_device.py the --device rows on the CPU
            help_text = _run([*argv[:3], "--help"], ROOT).stdout
            areas = argv[argv.index("--only") + 1].split(",") if "--only" in argv else []
            for word in areas + [a for a in argv[3:] if a.startswith("--")]:
                assert word in help_text, word
            continue
        if argv[1:3] == ["-m", "gan.arena"]:
            argv = _quick_arena(argv)
        if argv[1:3] == ["-m", "benchmarks.scale"]:
            # one size by hand: the same code at 10^4 points (10^6 takes minutes)
            argv = [str(min(int(a), 10_000)) if a.isdigit() else a for a in argv]
        argv = [str(ROOT / a) if a.startswith("docs/") else a for a in argv]
        if any(a.endswith("arena_leaderboard.py") for a in argv) and len(argv) > 2:
            # the example reads an arena run's results: make one, quickly
            _run(_quick_arena([sys.executable, "-m", "gan.arena"]), tmp_path)
        outputs.append(_run(argv, tmp_path).stdout)
    return "\n".join(outputs)


@pytest.mark.parametrize("where, command", COMMANDS, ids=[c for _, c in COMMANDS])
def test_documented_command_runs(where, command, tmp_path):
    _run_documented(command, tmp_path)
