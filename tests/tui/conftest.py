"""Console tests read the highlighted record at once instead of after the cursor rests."""

from __future__ import annotations

import pytest

from crisis_console.tui.screens import inbox


@pytest.fixture(autouse=True)
def _no_detail_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox, "DETAIL_DELAY", 0.001)
