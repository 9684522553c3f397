"""Issue 15, point 6: nobody who wrote or edited any version of a draft approves it. Only
the last editor was barred, so A edits, B edits, and A approves his own words."""

from __future__ import annotations

import pytest

from crisis_console.core.errors import CrisisConsoleError
from crisis_console.core.models import Role
from tests.conftest import ServiceFactory

DELAY = {"new_date": "Thursday"}


def test_an_earlier_editor_cannot_approve_after_someone_else_edits(desk: ServiceFactory) -> None:
    sam = desk(Role.SUPPORT, name="sam")
    maya, ana, raj = (desk(Role.SOCIAL, name=n) for n in ("maya", "ana", "raj"))
    sam.claims.claim("x:1")
    draft = sam.replies.submit("x:1", "delivery-delay", DELAY)
    sam.claims.release("x:1")
    maya.replies.edit(draft.id, draft.text.replace("Thursday", "Friday"), "Friday it is")
    ana.replies.edit(draft.id, draft.text.replace("Thursday", "Monday"), "Monday")
    for who in (maya, ana):  # an earlier editor, and the last
        with pytest.raises(CrisisConsoleError, match="wrote or edited"):
            who.replies.approve(draft.id)
    approved = raj.replies.approve(draft.id)  # four eyes: someone whose words none are
    assert approved.status in ("sending", "sent") and approved.approvals == ("raj",)
