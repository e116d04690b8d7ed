"""Impersonation: every ConnectingSID form exchangelib can send, scoped rights, and the faults
Exchange gives, surfaced as exchangelib's own exceptions."""

import datetime

import pytest
from exchangelib import UTC, Account, CalendarItem, EWSDateTime
from exchangelib.account import Identity
from exchangelib.errors import ErrorImpersonateUserDenied, ErrorItemNotFound, ErrorNonExistentMailbox
from exchangelib.items import SEND_TO_NONE

from checks import assert_appointment
from conftest import ALFRED, CHRIS, SONYA, SONYA_SID, SVC_CALENDAR, SVC_SALES, connect, delegate, unique

# Each field of exchangelib's Identity is one ConnectingSID child (exchangelib/account.py). The
# schema allows exactly one child, and Account.primary_smtp_address reads Identity's, so the
# other forms need an Account that keeps the address apart (IdentifiedAccount).
IDENTITIES = {
    "PrimarySmtpAddress": Identity(primary_smtp_address=SONYA),
    "SmtpAddress": Identity(smtp_address=SONYA),
    "PrincipalName": Identity(upn=SONYA),  # the demo tenant's UPNs are the addresses
    "SID": Identity(sid=SONYA_SID),
}


class IdentifiedAccount(Account):
    """An Account impersonating through another ConnectingSID form than PrimarySmtpAddress, while
    folders and X-AnchorMailbox keep using the mailbox's primary address."""

    def __init__(self, primary_smtp_address, identity, **kwargs):
        super().__init__(primary_smtp_address, **kwargs)
        self._address = primary_smtp_address
        self.identity = identity

    @property
    def primary_smtp_address(self):
        return self._address


def impersonate_as(url, mailbox, identity):
    plain = connect(url, mailbox)
    return IdentifiedAccount(
        mailbox, identity, access_type=plain.access_type, config=plain.protocol.config, default_timezone=UTC
    )


def appointment(account, what):
    start = EWSDateTime(2031, 2, 3, 14, 0, tzinfo=UTC)
    return CalendarItem(
        account=account,
        folder=account.calendar,
        subject=unique(what),
        start=start,
        end=start + datetime.timedelta(hours=1),
        location="Room 1",
    )


@pytest.mark.parametrize("form", list(IDENTITIES))
def test_each_connecting_sid_form_reaches_the_impersonated_mailbox(mock, wire, cleanup, form):
    account = impersonate_as(mock.url, SONYA, IDENTITIES[form])

    item = appointment(account, f"sid form {form}")
    item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(item)

    sent = wire.of("CreateItem")[0]
    assert sent.connecting_sid[0] == form, "exchangelib sent another form than the one under test"
    assert sent.headers.get("X-AnchorMailbox") == SONYA
    # The owner finds it in her own calendar: the item went to sonyaf's mailbox, not the caller's.
    got = delegate(mock.url, SONYA).calendar.get(id=item.id)
    assert_appointment(got, subject=item.subject, start=item.start, end=item.end, location="Room 1")


def test_scoped_account_may_impersonate_a_mailbox_in_its_scope(mock, cleanup):
    account = connect(mock.url, SONYA, username=SVC_SALES)

    item = appointment(account, "svc-sales in scope")
    item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(item)
    got = account.calendar.get(id=item.id)
    assert_appointment(got, subject=item.subject, start=item.start, end=item.end, location="Room 1")


def test_scoped_account_is_denied_a_mailbox_outside_its_scope(mock):
    account = connect(mock.url, ALFRED, username=SVC_SALES)

    with pytest.raises(ErrorImpersonateUserDenied):
        account.calendar.refresh()


def test_mailbox_user_without_the_impersonation_right_is_denied(mock):
    account = connect(mock.url, CHRIS, username=ALFRED)

    with pytest.raises(ErrorImpersonateUserDenied):
        account.calendar.refresh()


def test_impersonating_an_address_without_a_mailbox_is_error_non_existent_mailbox(mock):
    account = connect(mock.url, "nobody@contoso.com", username=SVC_CALENDAR)

    with pytest.raises(ErrorNonExistentMailbox):
        account.calendar.refresh()


def test_unknown_sid_is_error_non_existent_mailbox(mock):
    account = impersonate_as(mock.url, SONYA, Identity(sid="S-1-5-21-1493619105-1843311271-3936346804-9999"))

    with pytest.raises(ErrorNonExistentMailbox):
        account.calendar.refresh()


def test_an_item_id_is_not_found_from_another_mailbox(mock, cleanup):
    sonya = connect(mock.url, SONYA)
    item = appointment(sonya, "foreign id")
    item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(item)

    alfred = connect(mock.url, ALFRED)
    with pytest.raises(ErrorItemNotFound):
        alfred.calendar.get(id=item.id, changekey=item.changekey)
