"""The calendar lifecycle user code runs through exchangelib under impersonation: save, read back
(view, filter, all, count, get by id), update one field, delete."""

import datetime
import itertools
import random

import pytest
from exchangelib import UTC, Body, CalendarItem, EWSDateTime
from exchangelib.errors import ErrorItemNotFound
from exchangelib.items import HARD_DELETE, SEND_TO_NONE

from checks import assert_appointment, assert_ids_saved
from conftest import ALFRED, connect, unique

HOUR = datetime.timedelta(hours=1)
_days = itertools.count(random.randrange(0, 3000))


def free_day():
    """A day (09:00 UTC) that no other test in this run, and most likely no earlier run, uses."""
    return EWSDateTime(2032, 1, 1, 9, 0, tzinfo=UTC) + datetime.timedelta(days=next(_days))


def appointment(account, subject, start, end, **fields):
    return CalendarItem(account=account, folder=account.calendar, subject=subject, start=start, end=end, **fields)


@pytest.fixture
def alfred(mock):
    """alfred's mailbox through svc-calendar's impersonation right, as a sync service connects."""
    return connect(mock.url, ALFRED)


def test_save_with_send_to_none_stores_an_appointment(alfred, wire, cleanup):
    start = free_day()
    item = appointment(alfred, unique("save"), start, start + HOUR, location="Room 7", body=Body("agenda"))

    item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(item)

    create = wire.of("CreateItem")[0]
    assert create.body_operation.get("SendMeetingInvitations") == "SendToNone"
    assert item.id and item.changekey
    got = alfred.calendar.get(id=item.id, changekey=item.changekey)
    assert_appointment(got, subject=item.subject, start=start, end=start + HOUR, location="Room 7", body="agenda")
    assert got.id == item.id


def test_get_by_id_without_changekey_returns_the_item(alfred, cleanup):
    start = free_day()
    item = cleanup.add(appointment(alfred, unique("get"), start, start + HOUR))
    item.save(send_meeting_invitations=SEND_TO_NONE)

    got = alfred.calendar.get(id=item.id)
    assert_appointment(got, subject=item.subject, start=start, end=start + HOUR)
    assert got.changekey == item.changekey, "an unchanged item keeps its ChangeKey"


def test_calendar_view_returns_the_items_overlapping_the_window(alfred, cleanup):
    day = free_day()
    window = (day, day + 4 * HOUR)  # 09:00-13:00
    tag = unique("view")
    inside = appointment(alfred, f"{tag} inside", day + HOUR, day + 2 * HOUR)
    over_start = appointment(alfred, f"{tag} over start", day - HOUR, day + HOUR)
    over_end = appointment(alfred, f"{tag} over end", day + 3 * HOUR, day + 5 * HOUR)
    around = appointment(alfred, f"{tag} around", day - HOUR, day + 5 * HOUR)
    before = appointment(alfred, f"{tag} before", day - 3 * HOUR, day - 2 * HOUR)
    after = appointment(alfred, f"{tag} after", day + 6 * HOUR, day + 7 * HOUR)
    items = [inside, over_start, over_end, around, before, after]
    for item in items:
        item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(*items)

    seen = [i for i in alfred.calendar.view(start=window[0], end=window[1]) if i.subject.startswith(tag)]

    assert sorted(i.subject for i in seen) == sorted(i.subject for i in (inside, over_start, over_end, around))
    for got in seen:
        want = next(i for i in items if i.id == got.id)
        assert_appointment(got, subject=want.subject, start=want.start, end=want.end)


def test_calendar_view_honours_max_items(alfred, cleanup):
    day = free_day()
    tag = unique("view max")
    items = [appointment(alfred, f"{tag} {n}", day + n * HOUR, day + (n + 1) * HOUR) for n in range(3)]
    for item in items:
        item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(*items)

    seen = list(alfred.calendar.view(start=day, end=day + 3 * HOUR, max_items=2))

    assert len(seen) == 2


def test_filter_on_subject_finds_exactly_that_item(alfred, cleanup):
    start = free_day()
    tag = unique("filter")
    wanted = appointment(alfred, f"{tag} wanted", start, start + HOUR, location="Here")
    other = appointment(alfred, f"{tag} other", start, start + HOUR)
    for item in (wanted, other):
        item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(wanted, other)

    found = list(alfred.calendar.filter(subject=wanted.subject))

    assert [i.id for i in found] == [wanted.id]
    assert_appointment(found[0], subject=wanted.subject, start=start, end=start + HOUR, location="Here")
    assert alfred.calendar.filter(subject__contains=tag).count() == 2
    assert alfred.calendar.filter(subject__startswith=tag).count() == 2
    assert alfred.calendar.filter(subject=f"{tag} nothing").count() == 0


def test_all_and_count_include_every_saved_item(alfred, cleanup):
    start = free_day()
    tag = unique("all")
    items = [appointment(alfred, f"{tag} {n}", start, start + HOUR) for n in range(3)]
    for item in items:
        item.save(send_meeting_invitations=SEND_TO_NONE)
    cleanup.add(*items)

    everything = list(alfred.calendar.all())
    total = alfred.calendar.all().count()

    ids = {i.id for i in everything}
    assert {i.id for i in items} <= ids
    assert total == len(everything), "count() and all() disagree"
    mine = [i for i in everything if i.subject.startswith(tag)]
    for got in mine:
        assert_appointment(got, subject=got.subject, start=start, end=start + HOUR)
    assert len(mine) == 3


def test_bulk_create_of_250_items_is_sent_in_chunks_of_100_and_all_come_back(alfred, wire, cleanup):
    day = free_day()
    tag = unique("bulk")
    items = [
        appointment(alfred, f"{tag} {n:03}", day + datetime.timedelta(minutes=n), day + datetime.timedelta(minutes=n + 30))
        for n in range(250)
    ]

    saved = alfred.bulk_create(folder=alfred.calendar, items=items)
    cleanup.add(*[i for i in saved if not isinstance(i, Exception)], account=alfred)

    chunks = [create.count("CalendarItem") for create in wire.of("CreateItem")]
    assert chunks == [100, 100, 50]
    assert_ids_saved(saved, 250)
    assert alfred.calendar.filter(subject__startswith=tag).count() == 250
    # Paged reading (IndexedPageItemView, 100 per page) must see each item exactly once.
    listed = list(alfred.calendar.filter(subject__startswith=tag).only("id", "subject"))
    assert sorted(i.subject for i in listed) == [f"{tag} {n:03}" for n in range(250)]
    assert {i.id for i in listed} == {i.id for i in saved}

    results = alfred.bulk_delete(ids=saved, delete_type=HARD_DELETE, send_meeting_cancellations=SEND_TO_NONE)
    assert all(r is True for r in results), [r for r in results if r is not True][:3]
    assert alfred.calendar.filter(subject__startswith=tag).count() == 0


def test_update_of_one_field_keeps_the_id_and_changes_the_changekey(alfred, wire, cleanup):
    start = free_day()
    item = cleanup.add(appointment(alfred, unique("update"), start, start + HOUR, location="Old room"))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    old_id, old_changekey = item.id, item.changekey

    item.subject = unique("updated")
    item.save(update_fields=["subject"])

    update = wire.of("UpdateItem")[0]
    assert update.count("SetItemField") == 1
    assert item.id == old_id
    assert item.changekey and item.changekey != old_changekey, "an update must mint a new ChangeKey"
    got = alfred.calendar.get(id=item.id)
    assert_appointment(got, subject=item.subject, start=start, end=start + HOUR, location="Old room")
    assert got.changekey == item.changekey
    assert alfred.calendar.filter(subject=item.subject).count() == 1


def test_delete_removes_the_item_and_later_reads_are_error_item_not_found(alfred, cleanup):
    start = free_day()
    item = cleanup.add(appointment(alfred, unique("delete"), start, start + HOUR))
    item.save(send_meeting_invitations=SEND_TO_NONE)
    item_id, changekey, subject = item.id, item.changekey, item.subject

    item.delete()

    assert item.id is None, "exchangelib forgets the id of a deleted item"
    with pytest.raises(ErrorItemNotFound):
        alfred.calendar.get(id=item_id, changekey=changekey)
    [fetched] = list(alfred.fetch(ids=[(item_id, changekey)]))
    assert isinstance(fetched, ErrorItemNotFound)
    assert alfred.calendar.filter(subject=subject).count() == 0
    # Deleting it again is Exchange's ErrorItemNotFound too.
    [again] = alfred.bulk_delete(ids=[(item_id, changekey)])
    assert isinstance(again, ErrorItemNotFound), again
