"""The README's commands and examples work as written."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first = _blocks("bash")[0].strip().splitlines()
    assert len(first) == 2
    assert first[0].endswith("dynres-fast demo")
    assert first[1].endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _blocks("bash")[0].strip().splitlines()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_python_examples_run():
    namespace: dict = {}  # blocks build on each other, as a reader's session would
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), namespace)
