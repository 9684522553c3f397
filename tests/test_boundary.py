"""The core never loads the UI toolkit, even through a deferred import (checked in a fresh
interpreter), and importing the package itself stays cheap."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import crisis_console.core as core

CORE_MODULES = sorted(m.name for m in pkgutil.walk_packages(core.__path__, "crisis_console.core."))

PROBE = """
import importlib, sys
module = importlib.import_module({name!r})
for attr in dir(module):
    getattr(module, attr)
leaked = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))
print(','.join(leaked))
"""


def test_core_has_the_expected_modules() -> None:
    names = {n.rsplit(".", 1)[1] for n in CORE_MODULES}
    expected = {
        "models",
        "errors",
        "ingest",
        "classify",
        "playbook",
        "routing",
        "store",
        "audit",
        "service",
    }
    assert expected <= names


@pytest.mark.parametrize("name", ["crisis_console", *CORE_MODULES, "crisis_console.demo"])
def test_module_does_not_load_textual_or_rich(name: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(name=name)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"{name} loads {out.stdout.strip()}"


def test_a_team_console_does_not_load_the_folder_backend() -> None:
    """The console's start in team mode (the CLI, the app, the team wiring) leaves the
    TinyDB store and NumPy under it unloaded: a tenth of a second of every first paint."""
    probe = (
        "import sys, crisis_console.cli, crisis_console.cli.team, crisis_console.tui.app\n"
        "print(','.join(sorted(n for n in sys.modules if n == 'numpy' "
        "or n.startswith('crisis_console.core.store.store'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
