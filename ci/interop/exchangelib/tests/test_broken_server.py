"""The suite can fail: the same client code and checks as the ews-mock tests, run against a tiny EWS
server written here that answers deliberately wrong in one way per case, must fail — either
exchangelib raises, or the shared checks (checks.py) reject what exchangelib read.

The control case ("correct") answers right and must pass, so each failure is the breakage's."""

import datetime
import http.server
import threading
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import pytest
from exchangelib import BASIC, UTC, CalendarItem, EWSDateTime
from exchangelib.errors import TransportError
from exchangelib.items import SEND_TO_NONE

from checks import assert_appointment
from conftest import ALFRED, GIVEN_VERSION, connect

T = "http://schemas.microsoft.com/exchange/services/2006/types"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
S = "http://schemas.xmlsoap.org/soap/envelope/"

SERVER_VERSION = (
    '<h:ServerVersionInfo xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" '
    'MajorVersion="15" MinorVersion="20" MajorBuildNumber="8769" MinorBuildNumber="35"/>'
)


def envelope(body, header=SERVER_VERSION):
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{S}">{head}<s:Body>{body}</s:Body></s:Envelope>'
    ).encode()


def response(op, inner):
    return (
        f'<m:{op}Response xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        f'<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
        f"{inner}</m:{op}ResponseMessage></m:ResponseMessages></m:{op}Response>"
    )


def ews_datetime(value, fractional):
    """The request's ISO date-time with offset, as the UTC form Exchange writes (or a broken one)."""
    utc = datetime.datetime.fromisoformat(value).astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (".000Z" if fractional else "Z")


class WrongServer(http.server.ThreadingHTTPServer):
    """An EWS endpoint for GetFolder, ConvertId, CreateItem, GetItem and UpdateItem of one calendar,
    broken as `mode` says."""

    daemon_threads = True

    def __init__(self, mode):
        super().__init__(("127.0.0.1", 0), WrongHandler)
        self.mode = mode
        self.items = {}  # id -> dict of fields

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/EWS/Exchange.asmx"

    def answer(self, request):
        op = request.find(f"{{{S}}}Body")[0]
        name = op.tag.split("}")[1]
        header = None if self.mode == "no ServerVersionInfo" else SERVER_VERSION
        if name == "ConvertId":
            inner = '<m:ConvertIdResponseMessage ResponseClass="Error"><m:ResponseCode>ErrorInvalidIdMalformed'
            body = (
                f'<m:ConvertIdResponse xmlns:m="{M}"><m:ResponseMessages>{inner}</m:ResponseCode>'
                "</m:ConvertIdResponseMessage></m:ResponseMessages></m:ConvertIdResponse>"
            )
            return envelope(body, header)
        if name == "GetFolder":
            folder = op.find(f".//{{{T}}}DistinguishedFolderId").get("Id")
            tag = "t:CalendarFolder" if folder == "calendar" else "t:Folder"
            inner = f'<m:Folders><{tag}><t:FolderId Id="folder-{folder}" ChangeKey="AQAAAA=="/></{tag}></m:Folders>'
            return envelope(response("GetFolder", inner), header)
        if name == "CreateItem":
            made = []
            for item in op.find(f"{{{M}}}Items"):
                item_id = uuid.uuid4().hex
                self.items[item_id] = {
                    "subject": item.findtext(f"{{{T}}}Subject"),
                    "start": item.findtext(f"{{{T}}}Start"),
                    "end": item.findtext(f"{{{T}}}End"),
                    "location": item.findtext(f"{{{T}}}Location"),
                    "changekey": "ck1",
                }
                made.append(f'<t:CalendarItem><t:ItemId Id="{item_id}" ChangeKey="ck1"/></t:CalendarItem>')
            messages = "".join(
                '<m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                f"<m:Items>{m}</m:Items></m:CreateItemResponseMessage>"
                for m in made
            )
            body = f'<m:CreateItemResponse xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>{messages}'
            return envelope(body + "</m:ResponseMessages></m:CreateItemResponse>", header)
        if name == "GetItem":
            item_id = op.find(f".//{{{T}}}ItemId").get("Id")
            return envelope(response("GetItem", f"<m:Items>{self.render(item_id)}</m:Items>"), header)
        if name == "UpdateItem":
            item_id = op.find(f".//{{{T}}}ItemId").get("Id")
            stored = self.items[item_id]
            stored["subject"] = op.findtext(f".//{{{T}}}SetItemField//{{{T}}}Subject")
            stored["changekey"] = "ck2"
            shown = uuid.uuid4().hex if self.mode == "UpdateItem answers another Id" else item_id
            inner = f'<m:Items><t:CalendarItem><t:ItemId Id="{shown}" ChangeKey="ck2"/></t:CalendarItem></m:Items>'
            return envelope(response("UpdateItem", inner), header)
        raise AssertionError(f"the wrong server does not do {name}")

    def render(self, item_id):
        it = self.items[item_id]
        fractional = self.mode == "fractional-second date-times"
        tag = "t:Item" if self.mode == "t:Item instead of t:CalendarItem" else "t:CalendarItem"
        false = "0" if self.mode == "0/1 booleans" else "false"
        return (
            f'<{tag}><t:ItemId Id={quoteattr(item_id)} ChangeKey={quoteattr(it["changekey"])}/>'
            f'<t:Subject>{escape(it["subject"])}</t:Subject>'
            f'<t:Start>{ews_datetime(it["start"], fractional)}</t:Start>'
            f'<t:End>{ews_datetime(it["end"], fractional)}</t:End>'
            f'<t:Location>{escape(it["location"] or "")}</t:Location>'
            f"<t:IsMeeting>{false}</t:IsMeeting><t:MeetingRequestWasSent>{false}</t:MeetingRequestWasSent>"
            f"</{tag}>"
        )


class WrongHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length", "0"))
        request = ET.fromstring(self.rfile.read(length))
        try:
            body = self.server.answer(request)
            status = 200
        except Exception as e:  # noqa: BLE001 - the client must see something
            body, status = f"wrong server: {e!r}".encode(), 400
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def wrong_server(request):
    server = WrongServer(request.param)
    thread = threading.Thread(target=server.serve_forever, name="wrong-ews", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def lifecycle(url, version=GIVEN_VERSION):
    """What the tests against ews-mock do: save, read back by id with the shared checks, update."""
    account = connect(url, ALFRED, auth_type=BASIC, version=version)
    start = EWSDateTime(2031, 1, 6, 9, 0, tzinfo=UTC)
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="broken-server check",
        start=start,
        end=start + datetime.timedelta(hours=1),
        location="Room 3",
    )
    item.save(send_meeting_invitations=SEND_TO_NONE)
    got = account.calendar.get(id=item.id, changekey=item.changekey)
    assert_appointment(got, subject=item.subject, start=item.start, end=item.end, location="Room 3")
    got.subject = "broken-server check, renamed"
    got.save(update_fields=["subject"])


@pytest.mark.parametrize("wrong_server", ["correct"], indirect=True)
def test_the_control_server_passes_the_same_checks(wrong_server):
    lifecycle(wrong_server.url)
    lifecycle(wrong_server.url, version=None)


@pytest.mark.parametrize(
    "wrong_server, rejected",
    [
        ("fractional-second date-times", "start: None"),
        ("0/1 booleans", "is_meeting: None"),
        ("t:Item instead of t:CalendarItem", "expected a CalendarItem"),
    ],
    indirect=["wrong_server"],
)
def test_the_checks_reject_answers_exchangelib_cannot_read(wrong_server, rejected):
    with pytest.raises(AssertionError, match=rejected):
        lifecycle(wrong_server.url)


@pytest.mark.parametrize("wrong_server", ["UpdateItem answers another Id"], indirect=True)
def test_exchangelib_rejects_an_update_answering_another_id(wrong_server):
    with pytest.raises(ValueError, match="'id' mismatch"):
        lifecycle(wrong_server.url)


@pytest.mark.parametrize("wrong_server", ["no ServerVersionInfo"], indirect=True)
def test_exchangelib_rejects_a_version_probe_without_server_version_info(wrong_server):
    with pytest.raises(TransportError, match="No valid version headers"):
        lifecycle(wrong_server.url, version=None)
