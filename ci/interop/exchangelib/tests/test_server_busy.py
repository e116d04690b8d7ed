"""ErrorServerBusy: exchangelib's FaultTolerance policy backs off as long as the mock's
BackOffMilliseconds says and retries; FailFast raises with the back-off; a back-off longer than
the policy's patience is a RateLimitError. The fault is armed through the mock's admin API
(`POST /_mock/faults`), scoped to one mailbox and one request so no other test sees it."""

import datetime
import json
import time
import urllib.request

import pytest
from exchangelib import UTC, CalendarItem, EWSDateTime, FailFast, FaultTolerance
from exchangelib.errors import ErrorServerBusy, RateLimitError
from exchangelib.items import SEND_TO_NONE

from checks import assert_appointment
from conftest import CHRIS, connect, unique

BACK_OFF_MS = 1500


def admin(mock, method, path, payload=None):
    """Calls the mock's admin API (raw HTTP: exchangelib has no business there)."""
    base = mock.url[: -len("/EWS/Exchange.asmx")]
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{base}/_mock{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


class ServerBusyOnce:
    """Arms one ErrorServerBusy SOAP fault (HTTP 500, BackOffMilliseconds) for the next CreateItem
    acting as `mailbox`; removes the rule on exit and keeps what the mock reported about it."""

    def __init__(self, mock, mailbox):
        self.mock, self.mailbox, self.fired = mock, mailbox, None

    def __enter__(self):
        rule = {
            "operation": "CreateItem",
            "acting_as": self.mailbox,
            "times": 1,
            "action": {"type": "server_busy_fault", "back_off_ms": BACK_OFF_MS},
        }
        self.id = admin(self.mock, "POST", "/faults", rule)["id"]
        return self

    def __exit__(self, *exc):
        rules = admin(self.mock, "GET", "/faults")
        self.fired = next((r["fired"] for r in rules if r["id"] == self.id), None)
        admin(self.mock, "DELETE", f"/faults/{self.id}")


def appointment(account, what):
    start = EWSDateTime(2031, 9, 9, 8, 0, tzinfo=UTC)
    return CalendarItem(
        account=account,
        folder=account.calendar,
        subject=unique(what),
        start=start,
        end=start + datetime.timedelta(hours=1),
    )


def test_error_server_busy_is_retried_by_fault_tolerance_after_the_back_off(mock, wire, cleanup):
    account = connect(mock.url, CHRIS, retry_policy=FaultTolerance(max_wait=30))
    item = appointment(account, "server busy retried")  # looks the calendar up before the fault is armed

    with ServerBusyOnce(mock, CHRIS) as busy:
        started = time.monotonic()
        item.save(send_meeting_invitations=SEND_TO_NONE)
        waited = time.monotonic() - started
    cleanup.add(item)

    assert busy.fired == 1, "the mock's fault rule did not fire"
    assert len(wire.of("CreateItem")) == 2, "exchangelib must retry the refused CreateItem once"
    assert waited >= BACK_OFF_MS / 1000, f"exchangelib retried after {waited:.2f}s, before the back-off"
    got = account.calendar.get(id=item.id)
    assert_appointment(got, subject=item.subject, start=item.start, end=item.end)
    assert account.calendar.filter(subject=item.subject).count() == 1, "the retry must not save twice"


def test_error_server_busy_is_raised_at_once_under_fail_fast_with_the_back_off(mock, wire):
    account = connect(mock.url, CHRIS, retry_policy=FailFast())
    item = appointment(account, "server busy fail fast")

    with ServerBusyOnce(mock, CHRIS) as busy, pytest.raises(ErrorServerBusy) as raised:
        item.save(send_meeting_invitations=SEND_TO_NONE)

    assert busy.fired == 1
    assert raised.value.back_off == BACK_OFF_MS / 1000
    assert len(wire.of("CreateItem")) == 1
    assert account.calendar.filter(subject=item.subject).count() == 0


def test_a_back_off_longer_than_the_policy_allows_is_a_rate_limit_error(mock, wire):
    account = connect(mock.url, CHRIS, retry_policy=FaultTolerance(max_wait=1))
    item = appointment(account, "server busy impatient")

    with ServerBusyOnce(mock, CHRIS), pytest.raises(RateLimitError):
        item.save(send_meeting_invitations=SEND_TO_NONE)

    assert len(wire.of("CreateItem")) == 1
