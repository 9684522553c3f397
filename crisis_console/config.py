"""The only place that resolves paths and reads settings from the environment.

Precedence for the data folder: `--data-dir`, then `CRISIS_CONSOLE_HOME`, then the platform's
user data directory. Tests set `CRISIS_CONSOLE_HOME` so a developer's own data is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from crisis_console.core.archive.seal import Seal
from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.playbook.yamlfile import load_yaml
from crisis_console.core.roster import process_account

APP_NAME = "crisis-console"
HOME_ENV = "CRISIS_CONSOLE_HOME"
PLAYBOOK_ENV = "CRISIS_CONSOLE_PLAYBOOK"
DB_ENV = "CRISIS_CONSOLE_DB"  # team mode: the PostgreSQL database
DEFAULT_PLAYBOOK = "general"
SETTINGS_FILE = "settings.yaml"

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """`playbooks/` or `templates/`: inside the wheel when installed, else the source tree."""
    installed = _PACKAGE / "shipped" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def demo_data_file() -> Path:
    return _PACKAGE / "demo_data" / "mentions.jsonl"


def data_dir(explicit: str | None, env: Mapping[str, str] = os.environ) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    if env.get(HOME_ENV):
        return Path(env[HOME_ENV]).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME))


def audit_keys_dir() -> Path:
    """Where this account keeps the keys that seal its data folders' audit logs
    (`archive/seal.py`): its own configuration directory, never a data folder."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "audit-keys"


def audit_seal(folder: Path) -> Seal:
    return Seal(audit_keys_dir(), folder)


def demo_dir(explicit: str | None) -> Path:
    """The demo's own folder, apart from real data: `--data-dir` if given."""
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME + "-demo"))


def playbook_path(
    explicit: str | None, env: Mapping[str, str] = os.environ, folder: Path | None = None
) -> Path:
    """The active playbook: `--playbook`, else `CRISIS_CONSOLE_PLAYBOOK`, else `playbook:` in
    the data folder's `settings.yaml`, else `general`. A path, or a shipped playbook's name."""
    choice = explicit or env.get(PLAYBOOK_ENV) or setting(folder, "playbook") or DEFAULT_PLAYBOOK
    candidate = Path(choice).expanduser()
    if folder is not None and not candidate.is_absolute() and (folder / candidate).is_file():
        return folder / candidate
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        return candidate
    return shipped_dir("playbooks") / f"{choice}.yaml"


def database(
    explicit: str | None, folder: Path | None, env: Mapping[str, str] = os.environ
) -> str | None:
    """Team mode's database: `--db`, else $CRISIS_CONSOLE_DB, else `db:` in the data
    folder's settings.yaml; None in folder mode."""
    return explicit or env.get(DB_ENV) or setting(folder, "db")


def setting(folder: Path | None, key: str) -> str | None:
    """One text setting from `settings.yaml` in the data folder, if there is one."""
    if folder is None or not (folder / SETTINGS_FILE).is_file():
        return None
    path = folder / SETTINGS_FILE
    doc, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if problems:  # the file's own fault, said as such: not a wrong type of a setting
        raise CrisisConsoleError("; ".join(str(p) for p in problems))
    value = doc.data.get(key) if doc is not None and isinstance(doc.data, dict) else None
    if value is not None and not isinstance(value, str | int):
        line = doc.line_of((key,)) if doc is not None else 0
        raise CrisisConsoleError(f"{path}:{line}: {key}: must be a text")
    return None if value is None else str(value)


def operator() -> str:
    """Who is acting: the account the process runs as (`roster.process_account`), never
    an environment variable."""
    return process_account()
