"""Fixtures of the exchangelib interop suite: the standalone ews-mock binary (one per session,
started on port 0, stopped by PID), exchangelib accounts on the demo tenant, a recorder of what
exchangelib sends, and clean-up of every item a test creates."""

import os
import queue
import signal
import subprocess
import sys
import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

import exchangelib
import exchangelib.services.common
from exchangelib import (
    BASIC,
    DELEGATE,
    IMPERSONATION,
    UTC,
    Account,
    Build,
    Configuration,
    Credentials,
    FailFast,
    Version,
)

# The demo tenant (mock-server/tenants/demo.toml).
PASSWORD = "password"
ALFRED = "alfred@contoso.com"
SONYA = "sonyaf@contoso.com"
CHRIS = "chris@contoso.com"
SONYA_SID = "S-1-5-21-1493619105-1843311271-3936346804-1119"
SVC_CALENDAR = "svc-calendar@contoso.com"  # ApplicationImpersonation over every mailbox
SVC_SALES = "svc-sales@contoso.com"  # ApplicationImpersonation scoped to sonyaf only
APP_TOKEN = "app-token"  # app-only bearer token: must impersonate
ALFRED_TOKEN = "alfred-token"  # alfred's delegated bearer token

# What a user who pins the server version writes: Exchange Online's build, API version derived.
GIVEN_VERSION = Version(build=Build(15, 20))

TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"
MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"

# requests-oauthlib refuses bearer tokens over plain http (InsecureTransportError); the mock
# serves http on 127.0.0.1, so user code testing OAuth against it sets this too.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

STARTUP_SECONDS = 30
SHUTDOWN_SECONDS = 15


@dataclass
class Mock:
    """The running ews-mock binary."""

    url: str
    process: subprocess.Popen
    log_path: str

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError as e:
            return f"(no log: {e})"


def _die_with_parent():
    """In the child before exec: on Linux, SIGTERM the mock if pytest dies without its teardown
    (killed, or its output pipe closed), so no orphaned mock outlives the run."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@pytest.fixture(scope="session")
def mock(request, tmp_path_factory):
    """Starts `ews-mock --listen 127.0.0.1:0`, reads the URL from its one stdout line, and stops it
    with SIGTERM at the end of the session, requiring a clean exit."""
    binary = os.environ.get("EWS_MOCK_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail(f"EWS_MOCK_BIN must name the ews-mock binary (run ci/interop/exchangelib/run.sh); got {binary!r}")
    log_path = str(tmp_path_factory.mktemp("ews-mock") / "stderr.log")
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    lines = queue.Queue()

    def read_stdout():
        # Reads every line (not just the first) so the pipe can never fill up and block the mock.
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read_stdout, name="ews-mock-stdout", daemon=True).start()
    try:
        first = lines.get(timeout=STARTUP_SECONDS)
    except queue.Empty:
        first = None
    prefix = "ews-mock listening on "
    if not first or not first.startswith(prefix):
        process.kill()
        process.wait()
        log.close()
        with open(log_path, encoding="utf-8", errors="replace") as f:
            stderr = f.read()
        pytest.fail(f"ews-mock did not announce its URL within {STARTUP_SECONDS}s: stdout {first!r}, stderr:\n{stderr}")
    url = first[len(prefix) :].strip()
    assert url.startswith("http://127.0.0.1:") and url.endswith("/EWS/Exchange.asmx"), url
    running = Mock(url=url, process=process, log_path=log_path)
    yield running

    if request.session.testsfailed == 0:
        leftovers = leftover_items(url)
        assert not leftovers, f"tests left items behind (clean-up missing?): {leftovers}"
    exchangelib.close_connections()
    os.kill(process.pid, signal.SIGTERM)
    try:
        code = process.wait(timeout=SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        log.close()
        pytest.fail(f"ews-mock (pid {process.pid}) ignored SIGTERM for {SHUTDOWN_SECONDS}s:\n{running.log_tail()}")
    log.close()
    assert code == 0, f"ews-mock exited with {code} on SIGTERM:\n{running.log_tail()}"


def leftover_items(url):
    """Items of this suite still in the demo mailboxes (every test subject starts with SUBJECT_PREFIX)."""
    found = {}
    for mailbox in (ALFRED, SONYA, CHRIS):
        account = connect(url, mailbox)
        for folder in (account.calendar, account.inbox, account.sent, account.trash):
            n = folder.filter(subject__contains=SUBJECT_PREFIX).count()
            if n:
                found[f"{mailbox}/{folder.name}"] = n
    return found


@pytest.fixture(autouse=True)
def fresh_protocols():
    """exchangelib caches one Protocol per (endpoint, credentials) and would reuse it across tests
    with another auth type or version; every test starts from an empty cache."""
    exchangelib.close_connections()
    yield
    exchangelib.close_connections()


@pytest.fixture(autouse=True)
def mock_log_on_failure(request):
    """Prints the tail of the mock's log when a test that uses the mock fails."""
    yield
    report = getattr(request.node, "rep_call", None)
    if "mock" in request.fixturenames and report is not None and report.failed:
        mock = request.getfixturevalue("mock")
        print(f"--- ews-mock stderr (tail of {mock.log_path}) ---\n{mock.log_tail()}")


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)


def connect(
    url,
    mailbox,
    username=SVC_CALENDAR,
    password=PASSWORD,
    *,
    access_type=IMPERSONATION,
    auth_type=BASIC,
    version=GIVEN_VERSION,
    credentials=None,
    retry_policy=None,
):
    """An exchangelib Account on `mailbox`, as a user's own code builds one. `auth_type=None` and
    `version=None` make exchangelib guess them; the retry policy is FailFast unless given."""
    config = Configuration(
        service_endpoint=url,
        credentials=credentials or Credentials(username, password),
        auth_type=auth_type,
        version=version,
        retry_policy=retry_policy or FailFast(),
    )
    return Account(mailbox, access_type=access_type, config=config, autodiscover=False, default_timezone=UTC)


def delegate(url, mailbox):
    """The mailbox owner signed in as themselves (no impersonation)."""
    return connect(url, mailbox, username=mailbox, access_type=DELEGATE)


SUBJECT_PREFIX = "ews-kit interop"


def unique(what):
    """A subject no other test (or earlier run) uses."""
    return f"{SUBJECT_PREFIX} {what} {uuid.uuid4().hex[:12]}"


@dataclass
class Sent:
    """One EWS request exchangelib sent."""

    operation: str
    envelope: ET.Element
    headers: dict

    @property
    def body_operation(self):
        return self.envelope.find(f"{{{SOAP}}}Body")[0]

    @property
    def connecting_sid(self):
        """The child of t:ConnectingSID (e.g. `t:SID`) as (local name, text), or None."""
        sid = self.envelope.find(f"{{{SOAP}}}Header/{{{TYPES}}}ExchangeImpersonation/{{{TYPES}}}ConnectingSID")
        if sid is None:
            return None
        assert len(sid) == 1, f"ConnectingSID must have exactly one child, exchangelib sent {len(sid)}"
        child = sid[0]
        return child.tag.split("}")[1], child.text

    def count(self, local_name):
        return len(self.envelope.findall(f".//{{{TYPES}}}{local_name}"))


@dataclass
class Wire:
    """Every EWS request the services of exchangelib send (the auth-type probe excluded: it does not
    go through a service)."""

    sent: list = field(default_factory=list)

    def operations(self):
        return [s.operation for s in self.sent]

    def of(self, operation):
        return [s for s in self.sent if s.operation == operation]


@pytest.fixture
def wire(monkeypatch):
    """Records each request body exchangelib posts, parsed, without changing it."""
    recorded = Wire()
    real = exchangelib.services.common.post_ratelimited

    def recording(protocol, session, url, headers, data, **kwargs):
        envelope = ET.fromstring(data)
        operation = envelope.find(f"{{{SOAP}}}Body")[0].tag.split("}")[1]
        recorded.sent.append(Sent(operation=operation, envelope=envelope, headers=dict(headers or {})))
        return real(protocol, session, url, headers, data, **kwargs)

    monkeypatch.setattr(exchangelib.services.common, "post_ratelimited", recording)
    return recorded


class Cleanup:
    """Items to hard-delete when the test ends, whatever its outcome: exchangelib items, or
    anything with `id`/`changekey` (bulk_create's results) together with their account."""

    def __init__(self):
        self.entries = []

    def add(self, *items, account=None):
        self.entries.extend((account or item.account, item) for item in items)
        return items[0] if len(items) == 1 else items

    def run(self):
        """One DeleteItem per account (exchangelib chunks it by 100); already deleted is fine."""
        problems = []
        by_account = {}
        for account, item in reversed(self.entries):
            if item.id is not None:  # None: the test deleted it (exchangelib forgets the id)
                by_account.setdefault(id(account), (account, []))[1].append(item)
        for account, items in by_account.values():
            try:
                results = account.bulk_delete(ids=[(i.id, i.changekey) for i in items])
            except Exception as e:  # noqa: BLE001 - clean-up must try every account
                results = [e] * len(items)
            for item, result in zip(items, results):
                if result is not True and not isinstance(result, exchangelib.errors.ErrorItemNotFound):
                    problems.append(f"{getattr(item, 'subject', item.id)!r}: {result!r}")
        return problems


@pytest.fixture
def cleanup(request):
    """Hard-deletes what the test registered. A clean-up failure fails a test that passed; after a
    failed test it is only printed, so the test's own error stays the one reported."""
    pending = Cleanup()
    yield pending
    problems = pending.run()
    report = getattr(request.node, "rep_call", None)
    if problems and report is not None and report.failed:
        print(f"clean-up after the failure also failed: {problems}")
    else:
        assert not problems, f"clean-up failed: {problems}"
