"""A colleague with a shell account: the CLI run as a separate process, with whatever
environment they care to set."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

# The account these tests run as: the only identity the OS vouches for.
ME = pwd.getpwuid(os.geteuid()).pw_name


def cli(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crisis_console", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def roster(
    data: Path, operators: dict[str, str], shared: dict[str, list[str]] | None = None
) -> None:
    data.mkdir(parents=True, exist_ok=True)
    lines = ["operators:"] + [f"  {name}: [{roles}]" for name, roles in operators.items()]
    if shared:
        lines += ["shared_logins:"] + [f"  {k}: [{', '.join(v)}]" for k, v in shared.items()]
    (data / "team.yaml").write_text("\n".join(lines) + "\n")
