"""Meetings: a save with attendees and SendToAllAndSaveCopy delivers a MeetingRequest to each
attendee's inbox and puts a tentative copy in the attendee's calendar, as Exchange does."""

import datetime

from exchangelib import UTC, Body, CalendarItem, EWSDateTime
from exchangelib.items import SEND_TO_ALL_AND_SAVE_COPY, SEND_TO_NONE, MeetingCancellation, MeetingRequest

from checks import assert_appointment
from conftest import ALFRED, CHRIS, SONYA, connect, unique


def test_meeting_saved_with_send_to_all_reaches_the_attendee(mock, wire, cleanup):
    organizer = connect(mock.url, ALFRED)
    start = EWSDateTime(2031, 5, 14, 13, 0, tzinfo=UTC)
    end = start + datetime.timedelta(minutes=45)
    subject = unique("meeting")
    meeting = CalendarItem(
        account=organizer,
        folder=organizer.calendar,
        subject=subject,
        start=start,
        end=end,
        location="Board room",
        body=Body("Quarterly numbers"),
        required_attendees=[SONYA],
    )

    meeting.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    cleanup.add(meeting)

    create = wire.of("CreateItem")[0]
    assert create.body_operation.get("SendMeetingInvitations") == "SendToAllAndSaveCopy"

    # The organizer's copy is a meeting whose request was sent.
    mine = organizer.calendar.get(id=meeting.id)
    assert_appointment(mine, subject=subject, start=start, end=end, location="Board room", is_meeting=True)
    assert mine.meeting_request_was_sent is True
    assert [a.mailbox.email_address.lower() for a in mine.required_attendees] == [SONYA]
    assert mine.organizer is not None and mine.organizer.email_address.lower() == ALFRED

    attendee = connect(mock.url, SONYA)
    # The attendee's inbox holds the MeetingRequest.
    requests = list(attendee.inbox.filter(subject=subject))
    cleanup.add(*requests)
    assert len(requests) == 1, f"expected one MeetingRequest in sonyaf's inbox, found {requests!r}"
    request = requests[0]
    assert isinstance(request, MeetingRequest), f"exchangelib built {type(request).__name__}"
    assert request.start == start and request.end == end
    assert request.id != meeting.id

    # The attendee's calendar holds the tentative copy, a meeting organised by alfred.
    copies = list(attendee.calendar.filter(subject=subject))
    cleanup.add(*copies)
    assert len(copies) == 1, f"expected one tentative copy in sonyaf's calendar, found {copies!r}"
    copy = copies[0]
    assert_appointment(copy, subject=subject, start=start, end=end, location="Board room", is_meeting=True)
    assert copy.id != meeting.id
    assert copy.legacy_free_busy_status == "Tentative"
    assert copy.organizer is not None and copy.organizer.email_address.lower() == ALFRED

    # Nobody else got anything.
    bystander = connect(mock.url, CHRIS)
    assert bystander.inbox.filter(subject=subject).count() == 0
    assert bystander.calendar.filter(subject=subject).count() == 0
    cleanup.add(*organizer.sent.filter(subject__contains=subject))  # the saved copy, where the server keeps one


def test_deleting_a_meeting_with_cancellations_tells_the_attendee(mock, cleanup):
    organizer = connect(mock.url, ALFRED)
    start = EWSDateTime(2031, 5, 16, 10, 0, tzinfo=UTC)
    subject = unique("cancelled meeting")
    meeting = CalendarItem(
        account=organizer,
        folder=organizer.calendar,
        subject=subject,
        start=start,
        end=start + datetime.timedelta(hours=1),
        required_attendees=[SONYA],
    )
    meeting.save(send_meeting_invitations=SEND_TO_ALL_AND_SAVE_COPY)
    cleanup.add(meeting)
    attendee = connect(mock.url, SONYA)
    cleanup.add(*attendee.inbox.filter(subject=subject))

    meeting.delete(send_meeting_cancellations=SEND_TO_ALL_AND_SAVE_COPY)

    cancellations = [i for i in attendee.inbox.filter(subject__contains=subject) if isinstance(i, MeetingCancellation)]
    cleanup.add(*cancellations)
    assert len(cancellations) == 1, "the attendee's inbox must hold one MeetingCancellation"
    copies = list(attendee.calendar.filter(subject__contains=subject))
    cleanup.add(*copies)
    assert len(copies) == 1, "the attendee's copy stays until the attendee removes it"
    assert copies[0].is_cancelled is True
    assert organizer.calendar.filter(subject__contains=subject).count() == 0
    cleanup.add(*organizer.sent.filter(subject__contains=subject))


def test_appointment_saved_with_send_to_none_delivers_nothing(mock, cleanup):
    organizer = connect(mock.url, ALFRED)
    start = EWSDateTime(2031, 5, 15, 13, 0, tzinfo=UTC)
    subject = unique("no invitations")
    item = CalendarItem(
        account=organizer,
        folder=organizer.calendar,
        subject=subject,
        start=start,
        end=start + datetime.timedelta(hours=1),
        required_attendees=[SONYA],
    )

    item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(item)

    attendee = connect(mock.url, SONYA)
    assert attendee.inbox.filter(subject=subject).count() == 0
    assert attendee.calendar.filter(subject=subject).count() == 0
    mine = organizer.calendar.get(id=item.id)
    assert mine.meeting_request_was_sent is False
