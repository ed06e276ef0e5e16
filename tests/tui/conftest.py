"""Notifications last as long as a test: Textual forgets one ``timeout`` seconds of wall-clock
time after it was raised (``App._notifications`` reaps it, its toast's timer removes it), and on
a busy machine a test's steps can take longer than that. A test that looked for a start-up note
once the model had loaded failed so, 24 minutes into a suite run with both cores busy."""

from __future__ import annotations

import pytest
from textual.notifications import Notification

#: Longer than any test (a toast's timer is set to it; a timer must have a finite delay).
A_TEST_RUNS_LESS = 24 * 60 * 60.0


@pytest.fixture(autouse=True)
def notifications_outlast_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Notification, "time_left", property(lambda notification: A_TEST_RUNS_LESS))
