"""`crisis-console serve`: the signed webhook receiver (see `crisis_console.server`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.intake.webhook import DEFAULT_MAX_BODY, DEFAULT_TOLERANCE, Verifier

SECRET_ENV = "CRISIS_CONSOLE_WEBHOOK_SECRET"  # noqa: S105 - the variable's name, not a secret
DEFAULT_PORT = 8787


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="receive signed mentions over HTTP (a webhook)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    serve.add_argument(
        "--secret-file",
        type=Path,
        metavar="FILE",
        help=f"the shared HMAC secret (default: ${SECRET_ENV})",
    )
    serve.add_argument(
        "--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES", help="larger gets 413"
    )


def verifier(args: argparse.Namespace) -> Verifier:
    """The signature checker, from the secret file or the environment; none is refused."""
    if args.secret_file is not None:
        try:
            secret = args.secret_file.read_bytes().strip()
        except OSError as exc:
            raise CrisisConsoleError(f"cannot read {args.secret_file}: {exc.strerror}") from exc
    else:
        secret = os.environ.get(SECRET_ENV, "").encode()
    if len(secret) < 16:
        raise CrisisConsoleError(
            f"serve needs a shared secret of at least 16 characters: --secret-file FILE "
            f"or ${SECRET_ENV}; senders sign each body with it"
        )
    return Verifier(secret, DEFAULT_TOLERANCE)
