"""The exit statuses every command keeps to, as README's "Exit status" table gives them.

0 done; 1 done, but not all of it went through (a rejected line, a reply the guard blocks
in a preview, a send that failed, a chain that does not verify); 2 not done: a usage error
(argparse's own status), a bad argument, input or file, a folder in use, a database that
cannot be reached; 3 refused by a rule (`core.errors.Refused`: the operator's roles, `--as`,
another's claim, the policy guard), the refusal being in the audit log; 130 interrupted.
"""

from __future__ import annotations

OK = 0
PARTLY = 1
NOT_DONE = 2  # what argparse exits with on a usage error
REFUSED = 3
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl+C
