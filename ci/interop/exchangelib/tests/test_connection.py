"""Connecting as user code does: auth type and server version guessed or given, Basic and bearer
credentials, and what exchangelib raises when sign-in fails."""

import datetime

import pytest
from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    OAUTH2,
    UTC,
    Body,
    CalendarItem,
    EWSDateTime,
    OAuth2AuthorizationCodeCredentials,
)
from exchangelib.errors import ErrorInvalidExchangeImpersonationHeaderData, UnauthorizedError
from exchangelib.items import SEND_TO_NONE
from oauthlib.oauth2 import OAuth2Token

from checks import assert_appointment
from conftest import (
    ALFRED,
    ALFRED_TOKEN,
    APP_TOKEN,
    GIVEN_VERSION,
    PASSWORD,
    SOAP,
    SONYA,
    SVC_CALENDAR,
    TYPES,
    connect,
    unique,
)


def bearer(token):
    """Credentials holding an access token obtained elsewhere (exchangelib fetches nothing)."""
    return OAuth2AuthorizationCodeCredentials(access_token=OAuth2Token({"access_token": token, "token_type": "Bearer"}))


def save_and_read_back(account, cleanup, what):
    """One appointment saved in `account`'s calendar and read back by id."""
    start = EWSDateTime(2031, 1, 6, 9, 0, tzinfo=UTC)
    subject = unique(what)
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject=subject,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        body=Body("connection check"),
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(item)
    got = account.calendar.get(id=item.id, changekey=item.changekey)
    assert_appointment(got, subject=subject, start=item.start, end=item.end, body="connection check")
    return item


def test_auth_type_and_server_version_are_guessed_when_not_given(mock, wire, cleanup):
    account = connect(mock.url, ALFRED, auth_type=None, version=None)

    version = account.version
    assert account.protocol.auth_type == BASIC, "the 401 offers Basic, which exchangelib must pick"
    assert version.build.major_version == 15
    assert version.build.minor_version == 20, f"Exchange Online answers 15.20, got {version.build}"
    assert version.api_version, version
    probes = wire.of("ConvertId")
    assert len(probes) >= 1, f"exchangelib probes the version with ConvertId; sent {wire.operations()}"
    save_and_read_back(account, cleanup, "guessed")


def test_given_auth_type_and_version_are_used_without_probing(mock, wire, cleanup):
    account = connect(mock.url, ALFRED, auth_type=BASIC, version=GIVEN_VERSION)

    save_and_read_back(account, cleanup, "given")
    assert account.protocol.auth_type == BASIC
    # exchangelib refines a given version from each response's ServerVersionInfo; the API version
    # it requests stays the one derived from the given build.
    assert account.version.api_version == GIVEN_VERSION.api_version
    assert (account.version.build.major_version, account.version.build.minor_version) == (15, 20)
    assert {s.envelope.find(f"{{{SOAP}}}Header/{{{TYPES}}}RequestServerVersion").get("Version") for s in wire.sent} == {
        GIVEN_VERSION.api_version
    }
    assert "ConvertId" not in wire.operations(), "a given version needs no probe"
    create = wire.of("CreateItem")[0]
    assert create.connecting_sid == ("PrimarySmtpAddress", ALFRED)
    assert create.headers.get("X-AnchorMailbox") == ALFRED


def test_app_only_bearer_token_impersonates_a_mailbox(mock, wire, cleanup):
    account = connect(mock.url, SONYA, credentials=bearer(APP_TOKEN), auth_type=OAUTH2, access_type=IMPERSONATION)

    save_and_read_back(account, cleanup, "app token")
    assert account.protocol.auth_type == OAUTH2
    assert wire.of("CreateItem")[0].connecting_sid == ("PrimarySmtpAddress", SONYA)


def test_delegated_bearer_token_works_on_its_own_mailbox(mock, wire, cleanup):
    account = connect(mock.url, ALFRED, credentials=bearer(ALFRED_TOKEN), auth_type=OAUTH2, access_type=DELEGATE)

    save_and_read_back(account, cleanup, "delegated token")
    assert wire.of("CreateItem")[0].connecting_sid is None, "delegate access sends no ExchangeImpersonation"


def test_basic_sign_in_as_the_mailbox_owner_works_without_impersonation(mock, wire, cleanup):
    account = connect(mock.url, SONYA, username=SONYA, access_type=DELEGATE)

    save_and_read_back(account, cleanup, "owner")
    assert wire.of("CreateItem")[0].connecting_sid is None


@pytest.mark.parametrize(
    "guess", [False, True], ids=["auth type and version given", "auth type and version guessed"]
)
def test_wrong_password_is_an_unauthorized_error(mock, guess):
    kwargs = {"auth_type": None, "version": None} if guess else {}
    account = connect(mock.url, ALFRED, username=SVC_CALENDAR, password=PASSWORD + "-wrong", **kwargs)

    with pytest.raises(UnauthorizedError):
        account.calendar.refresh()


def test_unknown_bearer_token_is_an_unauthorized_error(mock):
    account = connect(mock.url, SONYA, credentials=bearer("no-such-token"), auth_type=OAUTH2)

    with pytest.raises(UnauthorizedError):
        account.calendar.refresh()


def test_app_only_token_without_impersonation_is_refused(mock):
    account = connect(mock.url, SONYA, credentials=bearer(APP_TOKEN), auth_type=OAUTH2, access_type=DELEGATE)

    with pytest.raises(ErrorInvalidExchangeImpersonationHeaderData):
        account.calendar.refresh()


def test_delegated_token_with_impersonation_is_refused(mock):
    account = connect(mock.url, SONYA, credentials=bearer(ALFRED_TOKEN), auth_type=OAUTH2, access_type=IMPERSONATION)

    with pytest.raises(ErrorInvalidExchangeImpersonationHeaderData):
        account.calendar.refresh()
