"""Assertions on what exchangelib read back, shared by the tests against ews-mock and by the test
that proves them able to fail against a deliberately broken server (test_broken_server.py)."""

from exchangelib import Body, CalendarItem, HTMLBody


def assert_appointment(got, *, subject, start, end, location=None, body=None, is_meeting=False):
    """`got` is the calendar item exchangelib parsed, with every field the server must send back
    readable: exchangelib turns fractional-second dates and 0/1 booleans into None, and a
    `t:Item` element into an Item without calendar fields."""
    assert isinstance(got, CalendarItem), f"expected a CalendarItem, exchangelib built {type(got).__name__}"
    assert got.id, "the item has no id"
    assert got.changekey, "the item has no ChangeKey"
    assert got.subject == subject
    assert got.start == start, f"start: {got.start!r} (None = unreadable date-time) != {start!r}"
    assert got.end == end, f"end: {got.end!r} (None = unreadable date-time) != {end!r}"
    assert got.is_meeting is is_meeting, f"is_meeting: {got.is_meeting!r} (None = unreadable boolean)"
    if location is not None:
        assert got.location == location
    if body is not None:
        assert isinstance(got.body, (Body, HTMLBody)), f"body: {got.body!r}"
        assert str(got.body).strip() == body


def assert_ids_saved(items, expected_count):
    """What bulk_create returned: one saved item per input, no exception, distinct ids."""
    assert len(items) == expected_count
    errors = [i for i in items if isinstance(i, Exception)]
    assert not errors, f"{len(errors)} items failed, first: {errors[0]!r}"
    ids = [i.id for i in items]
    assert all(ids), "an item came back without an id"
    assert len(set(ids)) == expected_count, "ids are not distinct"
