//! Property (issue 6, item 5a): arbitrary appointments round-trip client → mock → client
//! unchanged.
//!
//! An appointment with arbitrary text (XML specials `<&>"'`, `]]>`, CR/LF/tab, emoji, right-to-left
//! text, any other XML 1.0 character), a time zone from chrono-tz that has a Windows id (or plain
//! UTC), all-day or timed, attendees inside and outside the tenant, categories, reminders,
//! sensitivity, importance and free/busy is saved with ews-client into one in-process mock (shared
//! by all cases; items are told apart by their ItemId, and subjects carry a case number), read
//! back with `SavedAppointment::fetch` (GetItem AllProperties), and compared field by field with
//! what was sent. The mock's stored item is compared too, so a loss is pinned to a side: "stored"
//! differences happen between the client's writer and the mock's parser, "read back" differences
//! after that.
//!
//! What "unchanged" means, field by field:
//! - every field the appointment set comes back equal (text exactly, whitespace and CR included);
//! - a field it did not set may come back with the server's default (Exchange fills in
//!   ReminderIsSet, LegacyFreeBusyStatus, Importance, Sensitivity, IsAllDayEvent, time zones);
//! - attendees come back with the same addresses in the same order; `Name` and `ResponseType`
//!   are the server's to fill in, so they are not compared;
//! - the item is a meeting exactly when it has attendees.
//!
//! XML limits, stated rather than hidden: text is generated only from characters XML 1.0 can
//! carry (`Char`: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF); other C0
//! controls, U+FFFE and U+FFFF cannot be sent in any EWS request. CR *is* generated: an XML
//! parser turns a literal CR LF or lone CR in text into LF (XML 1.0 §2.11), so a writer must
//! send CR as `&#13;` for it to survive; the property requires that of both sides.
//!
//! Cases default to 32 (`PROPTEST_CASES` raises them); failures persist in
//! `proptest-regressions/roundtrip.txt`, which is committed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use ews_client::chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use ews_client::chrono_tz::{Tz, TZ_VARIANTS};
use ews_client::{
    windows_zone_id, Appointment, AppointmentFields, CalendarItem, ConnectingSid, Importance, LegacyFreeBusyStatus,
    Sensitivity, Service,
};
use ews_mock::{FolderKind, MockEws};
use proptest::prelude::*;

const TENANT: [&str; 3] = ["alfred@contoso.com", "sonyaf@contoso.com", "chris@contoso.com"];
const OUTSIDE: [&str; 3] = ["bob@fabrikam.com", "carol.o'neil@example.org", "dana+cal@example.net"];

/// One runtime, one mock and one service for every case of this binary.
struct World {
    runtime: tokio::runtime::Runtime,
    mock: MockEws,
    service: Service,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a tokio runtime can be built");
        let mock = MockEws::start();
        let service =
            Service::builder(mock.ews_url()).basic("svc-calendar@contoso.com", "password").build().expect("service");
        World { runtime, mock, service }
    })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let persistence = proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/roundtrip.txt");
    ProptestConfig { cases, failure_persistence: Some(Box::new(persistence)), ..ProptestConfig::default() }
}

/// XML 1.0 `Char` (§2.2).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A piece of text: specials, line breaks, emoji, RTL, or any XML character.
fn fragment() -> impl Strategy<Value = String> {
    let special = prop::sample::select(vec![
        "<",
        ">",
        "&",
        "\"",
        "'",
        "]]>",
        "&amp;",
        "<!--",
        "\r\n",
        "\r",
        "\n",
        "\t",
        " ",
        "  ",
        "😀",
        "🎾",
        "👩🏽‍💻",
        "🇩🇪",
        "שלום עולם",
        "مرحبا بالعالم",
        "\u{200F}",
        "\u{202E}abc\u{202C}",
        "e\u{301}",
        "\u{FEFF}",
        "\u{10FFFD}",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        4 => "[ -~]{1,8}",
        3 => special,
        2 => prop::collection::vec(any::<char>().prop_filter("XML 1.0 Char", |c| is_xml_char(*c)), 1..4)
            .prop_map(|v| v.into_iter().collect::<String>()),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..6).prop_map(|v| v.concat())
}

/// Zones chrono-tz knows that CLDR maps to a Windows id.
fn zones() -> &'static Vec<Tz> {
    static ZONES: OnceLock<Vec<Tz>> = OnceLock::new();
    ZONES.get_or_init(|| TZ_VARIANTS.iter().copied().filter(|z| windows_zone_id(z.name()).is_some()).collect())
}

/// When the appointment happens.
#[derive(Debug, Clone)]
enum When {
    /// Start in UTC (no time-zone element) and a duration in minutes.
    Utc(DateTime<Utc>, i64),
    /// A local start in a zone (StartTimeZone/EndTimeZone) and a duration in minutes.
    Zoned(Tz, NaiveDate, NaiveTime, i64),
    /// All day on a date in a zone.
    AllDay(Tz, NaiveDate),
}

fn when() -> impl Strategy<Value = When> {
    let date =
        (2000i32..2040, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("day ≤ 28"));
    let time = (0u32..24, prop::sample::select(vec![0u32, 15, 30, 45]))
        .prop_map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).expect("valid time"));
    let zone = prop::sample::select(zones().clone());
    let minutes = 0i64..(3 * 24 * 60);
    prop_oneof![
        (date.clone(), time.clone(), minutes.clone()).prop_map(|(d, t, m)| When::Utc(d.and_time(t).and_utc(), m)),
        (zone.clone(), date.clone(), time, minutes).prop_map(|(z, d, t, m)| When::Zoned(z, d, t, m)),
        (zone, date).prop_map(|(z, d)| When::AllDay(z, d)),
    ]
}

/// Everything the generator chooses for one appointment.
#[derive(Debug, Clone)]
struct Spec {
    organizer: usize,
    subject: Option<String>,
    body: Option<(bool, String)>,
    location: Option<String>,
    categories: Vec<String>,
    /// `None`: not set; `Some(None)`: no reminder; `Some(Some(m))`: m minutes before.
    reminder: Option<Option<i32>>,
    sensitivity: Option<Sensitivity>,
    importance: Option<Importance>,
    free_busy: Option<LegacyFreeBusyStatus>,
    when: When,
    /// Indices into the attendee pool (tenant then outside, minus the organizer).
    required: Vec<usize>,
    optional: Vec<usize>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let sensitivity = prop::sample::select(vec![
        Sensitivity::Normal,
        Sensitivity::Personal,
        Sensitivity::Private,
        Sensitivity::Confidential,
    ]);
    let importance = prop::sample::select(vec![Importance::Low, Importance::Normal, Importance::High]);
    let free_busy = prop::sample::select(vec![
        LegacyFreeBusyStatus::Free,
        LegacyFreeBusyStatus::Tentative,
        LegacyFreeBusyStatus::Busy,
        LegacyFreeBusyStatus::OOF,
        LegacyFreeBusyStatus::WorkingElsewhere,
        LegacyFreeBusyStatus::NoData,
    ]);
    let texts = (
        prop::option::weighted(0.9, text()),
        prop::option::of((any::<bool>(), text())),
        prop::option::of(text()),
        prop::collection::vec(text().prop_filter("a category has a name", |c| !c.is_empty()), 0..3),
    );
    let enums = (
        prop::option::of(prop::option::of(0i32..=20_160)),
        prop::option::of(sensitivity),
        prop::option::of(importance),
        prop::option::of(free_busy),
    );
    // Attendees: a subsequence of the pool, split into required and optional.
    let people =
        (prop::sample::subsequence((0..5).collect::<Vec<usize>>(), 0..=5), any::<u8>()).prop_map(|(chosen, split)| {
            let at = if chosen.is_empty() { 0 } else { split as usize % (chosen.len() + 1) };
            (chosen[..at].to_vec(), chosen[at..].to_vec())
        });
    (0..3usize, texts, enums, when(), people).prop_map(
        |(
            organizer,
            (subject, body, location, categories),
            (reminder, sensitivity, importance, free_busy),
            when,
            (required, optional),
        )| Spec {
            organizer,
            subject,
            body,
            location,
            categories,
            reminder,
            sensitivity,
            importance,
            free_busy,
            when,
            required,
            optional,
        },
    )
}

/// The attendee pool for an organizer: the other two tenant mailboxes, then the outsiders.
fn pool(organizer: usize) -> Vec<&'static str> {
    TENANT.iter().enumerate().filter(|(i, _)| *i != organizer).map(|(_, a)| *a).chain(OUTSIDE).collect()
}

/// Builds the appointment, or `None` if the local time does not exist in the zone.
fn build(spec: &Spec, case: u64) -> Option<Appointment> {
    let mut b = Appointment::builder();
    if let Some(s) = &spec.subject {
        // Unique per case, so a human can find it; the text after the tag is arbitrary.
        b = b.subject(format!("rt{case}:{s}"));
    }
    if let Some((html, text)) = &spec.body {
        b = if *html { b.body_html(text.clone()) } else { b.body_text(text.clone()) };
    }
    if let Some(l) = &spec.location {
        b = b.location(l.clone());
    }
    for c in &spec.categories {
        b = b.category(c.clone());
    }
    match spec.reminder {
        Some(Some(m)) => b = b.reminder_minutes_before_start(m),
        Some(None) => b = b.no_reminder(),
        None => {}
    }
    if let Some(s) = spec.sensitivity {
        b = b.sensitivity(s);
    }
    if let Some(i) = spec.importance {
        b = b.importance(i);
    }
    if let Some(f) = spec.free_busy {
        b = b.free_busy(f);
    }
    b = match &spec.when {
        When::Utc(start, minutes) => b.start(*start).duration(Duration::minutes(*minutes)),
        When::Zoned(zone, date, time, minutes) => {
            let start = zone.from_local_datetime(&date.and_time(*time)).earliest()?;
            b.start(start).duration(Duration::minutes(*minutes))
        }
        When::AllDay(zone, date) => b.all_day(*date, *zone),
    };
    let pool = pool(spec.organizer);
    for i in &spec.required {
        b = b.required_attendee(pool[*i]);
    }
    for i in &spec.optional {
        b = b.optional_attendee(pool[*i]);
    }
    // Some zones have no midnight on some dates (DST at 00:00): not an appointment to test.
    b.build().ok()
}

/// Text equality. The mock writes CR as `&#13;`, so text comes back exactly as it was sent.
fn same_text(sent: Option<&str>, read: Option<&str>) -> bool {
    sent == read
}

/// Differences between what was sent and what came back, one line each.
fn differences(sent: &AppointmentFields, got: &CalendarItem) -> Vec<String> {
    let mut out = Vec::new();
    let g = &got.fields;
    macro_rules! set_fields_equal {
        ($($f:ident),*) => {$(
            if sent.$f.is_some() && sent.$f != g.$f {
                out.push(format!("{}: sent {:?}, read back {:?}", stringify!($f), sent.$f, g.$f));
            }
        )*};
    }
    let text = |name: &str, s: Option<&str>, r: Option<&str>, out: &mut Vec<String>| {
        if s.is_some() && !same_text(s, r) {
            out.push(format!("{name}: sent {s:?}, read back {r:?}"));
        }
    };
    text("subject", sent.subject.as_deref(), g.subject.as_deref(), &mut out);
    text("location", sent.location.as_deref(), g.location.as_deref(), &mut out);
    text("body", sent.body.as_ref().map(|b| b.text.as_str()), g.body.as_ref().map(|b| b.text.as_str()), &mut out);
    if sent.body.as_ref().map(|b| b.body_type) != g.body.as_ref().map(|b| b.body_type) && sent.body.is_some() {
        out.push(format!("body type: sent {:?}, read back {:?}", sent.body, g.body));
    }
    set_fields_equal!(
        sensitivity,
        importance,
        reminder_is_set,
        reminder_minutes_before_start,
        start,
        end,
        is_all_day_event,
        legacy_free_busy_status,
        start_time_zone,
        end_time_zone
    );
    let categories_match = sent.categories.len() == g.categories.len()
        && sent.categories.iter().zip(&g.categories).all(|(s, r)| same_text(Some(s), Some(r)));
    if !categories_match {
        out.push(format!("categories: sent {:?}, read back {:?}", sent.categories, g.categories));
    }
    let emails = |l: &[ews_client::Attendee]| l.iter().map(|a| a.email.clone()).collect::<Vec<_>>();
    for (name, s, r) in [
        ("required_attendees", &sent.required_attendees, &g.required_attendees),
        ("optional_attendees", &sent.optional_attendees, &g.optional_attendees),
    ] {
        if emails(s) != emails(r) {
            out.push(format!("{name}: sent {:?}, read back {:?}", emails(s), emails(r)));
        }
    }
    if got.is_meeting != Some(sent.has_attendees()) {
        out.push(format!(
            "is_meeting: {:?} for {} attendee(s)",
            got.is_meeting,
            emails(&sent.required_attendees).len()
        ));
    }
    out
}

/// Differences between what was sent and what the mock stored (text fields and times).
fn stored_differences(sent: &AppointmentFields, stored: &ews_mock::ItemFields) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = |name: &str, s: Option<&str>, m: Option<&str>| {
        if s != m {
            out.push(format!("{name}: sent {s:?}, mock stored {m:?}"));
        }
    };
    text("subject", sent.subject.as_deref(), stored.subject.as_deref());
    text("location", sent.location.as_deref(), stored.location.as_deref());
    text("body", sent.body.as_ref().map(|b| b.text.as_str()), stored.body.as_ref().map(|b| &*b.text));
    let categories: Vec<&str> = stored.categories.iter().map(|c| &**c).collect();
    if sent.categories != categories {
        out.push(format!("categories: sent {:?}, mock stored {categories:?}", sent.categories));
    }
    if sent.start.map(|t| t.timestamp()) != stored.start || sent.end.map(|t| t.timestamp()) != stored.end {
        out.push(format!(
            "start/end: sent {:?}–{:?}, mock stored {:?}–{:?}",
            sent.start, sent.end, stored.start, stored.end
        ));
    }
    out
}

static CASE: AtomicU64 = AtomicU64::new(0);

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_appointments_round_trip_through_the_mock_unchanged(spec in spec()) {
        let case = CASE.fetch_add(1, Ordering::Relaxed);
        let Some(appointment) = build(&spec, case) else {
            return Err(TestCaseError::reject("no such local time in that zone"));
        };
        let sent = appointment.fields().clone();
        let organizer = TENANT[spec.organizer];
        let w = world();
        let mailbox = w.service.impersonate(ConnectingSid::SmtpAddress(organizer.into()));
        let (saved, item) = w.runtime.block_on(async {
            let saved = mailbox.save(appointment).await?;
            let item = saved.fetch().await?;
            Ok::<_, ews_client::Error>((saved, item))
        }).map_err(|e| TestCaseError::fail(format!("client error: {e}")))?;
        prop_assert_eq!(item.item_id.as_ref().map(|i| &i.id), Some(&saved.item_id().id));
        let stored = w.mock.items(organizer, FolderKind::Calendar);
        let stored = stored.iter().find(|s| s.id == saved.item_id().id)
            .ok_or_else(|| TestCaseError::fail("the saved item is not in the organizer's calendar"))?;
        let mut problems = stored_differences(&sent, &stored.fields);
        problems.extend(differences(&sent, &item));
        prop_assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}

/// A subject with CR LF survives both ways: the client sends CR as `&#13;`, the mock stores it and
/// answers it as `&#13;` (as Exchange's .NET writer writes `&#xD;`), so no parser turns it into LF
/// (XML 1.0 §2.11).
#[test]
fn a_carriage_return_survives_the_mocks_answer() {
    let w = world();
    let start = Utc.with_ymd_and_hms(2026, 3, 5, 17, 0, 0).single().expect("valid");
    let appointment = Appointment::builder().subject("a\r\nb").start(start).duration(Duration::hours(1)).build();
    let mailbox = w.service.impersonate(ConnectingSid::SmtpAddress(TENANT[0].into()));
    let item = w
        .runtime
        .block_on(async { mailbox.save(appointment.expect("valid")).await?.fetch().await })
        .expect("saved and read back");
    assert_eq!(item.fields.subject.as_deref(), Some("a\r\nb"));
}
