//! Model-based property (issue 6, item 5b): random sequences of create / get / find / update /
//! delete, by random callers, against random mailboxes, on random items, agree with a small
//! reference model.
//!
//! Each case resets one shared in-process mock (demo tenant) and runs its steps through
//! ews-client, predicting every answer from [`Model`] and then checking the mock's real state
//! (`MockEws::items(mailbox, Calendar)`) against the model after every step. The model's rules:
//!
//! - **Who may act as whom** (protocol.md §2.2, §3.2): svc-calendar and the app-only token
//!   impersonate every mailbox; svc-sales only sonyaf; the plain users alfred and chris nobody
//!   (not even themselves). A missing address is ErrorNonExistentMailbox, checked before the
//!   right; a refused right is ErrorImpersonateUserDenied. Both are SOAP faults.
//! - **Denied calls write nothing**: every mailbox's calendar equals the model after every step.
//! - **Ids never cross mailboxes**: an item id used through another mailbox (or after a delete)
//!   is ErrorItemNotFound for get, update and delete (protocol.md §4.2).
//! - **A saved item is never created twice**: every create yields an id never seen before, and
//!   the calendar grows by exactly one.
//! - **ChangeKeys**: an update with the current ChangeKey wins and yields a new ChangeKey; an
//!   update with an older one is ErrorIrresolvableConflict and changes nothing (§4.1).
//! - **Find** (CalendarView over the whole test window) returns exactly the model's items.
//!
//! Cases default to 32 sequences of up to 23 steps (`PROPTEST_CASES` raises them); failures
//! persist in `proptest-regressions/model.txt`.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use ews_client::chrono::{DateTime, Duration, TimeZone, Utc};
use ews_client::{
    Appointment, AppointmentUpdate, ConflictResolution, ConnectingSid, DeleteType, Error, ItemId, ResponseCode,
    SendInvitations, SendInvitationsOrCancellations, Service, UpdateItem,
};
use ews_mock::{FolderKind, MockEws};
use proptest::prelude::*;

/// The mailboxes of the demo tenant, then an address with no mailbox.
const TARGETS: [&str; 4] = ["alfred@contoso.com", "sonyaf@contoso.com", "chris@contoso.com", "nobody@contoso.com"];
const MISSING: usize = 3;

/// The callers and what their impersonation right covers (indices into [`TARGETS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    SvcCalendar,
    SvcSales,
    Alfred,
    Chris,
    AppToken,
}

impl Caller {
    const ALL: [Caller; 5] = [Caller::SvcCalendar, Caller::SvcSales, Caller::Alfred, Caller::Chris, Caller::AppToken];

    fn may_impersonate(self, target: usize) -> bool {
        match self {
            Caller::SvcCalendar | Caller::AppToken => true,
            Caller::SvcSales => TARGETS[target] == "sonyaf@contoso.com",
            Caller::Alfred | Caller::Chris => false,
        }
    }
}

/// One step of a sequence.
#[derive(Debug, Clone)]
enum Op {
    Create,
    Get(prop::sample::Index),
    Find,
    /// Update the subject; `stale` sends an older ChangeKey of the item when it has one.
    Update(prop::sample::Index, bool),
    Delete(prop::sample::Index),
}

#[derive(Debug, Clone)]
struct Step {
    caller: Caller,
    /// The mailbox to act as (index into [`TARGETS`]) …
    target: usize,
    /// … unless the op names an item and this is set: then the item's own mailbox, so that
    /// sequences reach updates, stale ChangeKeys and deletes often enough.
    follow_item: bool,
    op: Op,
}

fn step() -> impl Strategy<Value = Step> {
    let op = prop_oneof![
        3 => Just(Op::Create),
        2 => any::<prop::sample::Index>().prop_map(Op::Get),
        1 => Just(Op::Find),
        4 => (any::<prop::sample::Index>(), any::<bool>()).prop_map(|(i, s)| Op::Update(i, s)),
        1 => any::<prop::sample::Index>().prop_map(Op::Delete),
    ];
    // Weighted towards callers and targets that succeed, so sequences build up state.
    let caller = prop_oneof![
        3 => Just(Caller::SvcCalendar),
        1 => Just(Caller::SvcSales),
        1 => Just(Caller::Alfred),
        1 => Just(Caller::Chris),
        2 => Just(Caller::AppToken),
    ];
    let target = prop_oneof![3 => 0..3usize, 1 => Just(MISSING)];
    (caller, target, prop::bool::weighted(0.8), op).prop_map(|(caller, target, follow_item, op)| Step {
        caller,
        target,
        follow_item,
        op,
    })
}

/// An item the test has seen created.
#[derive(Debug, Clone)]
struct Known {
    id: String,
    /// The mailbox (index into [`TARGETS`]) it was created in.
    owner: usize,
    /// Every ChangeKey it has had, oldest first; the last is current.
    change_keys: Vec<String>,
    subject: String,
    deleted: bool,
}

/// The reference model: every item ever created, and so what each calendar holds.
#[derive(Debug, Default)]
struct Model {
    items: Vec<Known>,
}

impl Model {
    /// The live items of a mailbox: id → (ChangeKey, subject).
    fn calendar(&self, mailbox: usize) -> BTreeMap<String, (String, String)> {
        self.items
            .iter()
            .filter(|k| k.owner == mailbox && !k.deleted)
            .map(|k| (k.id.clone(), (k.change_keys.last().cloned().unwrap_or_default(), k.subject.clone())))
            .collect()
    }

    /// What a call by `caller` as `target` is refused with before it runs, if anything.
    fn refusal(caller: Caller, target: usize) -> Option<ResponseCode> {
        if target == MISSING {
            Some(ResponseCode::ErrorNonExistentMailbox)
        } else if !caller.may_impersonate(target) {
            Some(ResponseCode::ErrorImpersonateUserDenied)
        } else {
            None
        }
    }
}

struct World {
    runtime: tokio::runtime::Runtime,
    mock: MockEws,
    services: Vec<Service>,
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
        let services = Caller::ALL
            .iter()
            .map(|c| {
                let b = Service::builder(mock.ews_url());
                let b = match c {
                    Caller::SvcCalendar => b.basic("svc-calendar@contoso.com", "password"),
                    Caller::SvcSales => b.basic("svc-sales@contoso.com", "password"),
                    Caller::Alfred => b.basic("alfred@contoso.com", "password"),
                    Caller::Chris => b.basic("chris@contoso.com", "password"),
                    Caller::AppToken => b.bearer("app-token"),
                };
                b.build().expect("service")
            })
            .collect();
        World { runtime, mock, services }
    })
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let persistence = proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/model.txt");
    ProptestConfig { cases, failure_persistence: Some(Box::new(persistence)), ..ProptestConfig::default() }
}

fn window_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).single().expect("valid")
}

/// The code of a failed call (a fault or a per-item error), or a description of what came back.
fn code_of<T: std::fmt::Debug>(r: &Result<T, Error>) -> Result<ResponseCode, String> {
    match r {
        Err(e) => e.response_code().ok_or_else(|| format!("error without a response code: {e}")),
        Ok(v) => Err(format!("success: {v:?}")),
    }
}

/// Runs one step against the mock and the model; an error names what disagreed.
fn run_step(world: &World, model: &mut Model, step: &Step, n: usize) -> Result<(), String> {
    // The item an op refers to, if any item has been created yet.
    let item = match &step.op {
        Op::Get(i) | Op::Update(i, _) | Op::Delete(i) if !model.items.is_empty() => Some(i.index(model.items.len())),
        _ => None,
    };
    let target = match item {
        Some(k) if step.follow_item => model.items[k].owner,
        _ => step.target,
    };
    let mailbox = world.services[Caller::ALL.iter().position(|c| *c == step.caller).expect("listed")]
        .impersonate(ConnectingSid::SmtpAddress(TARGETS[target].into()));
    let refusal = Model::refusal(step.caller, target);
    let expect_code = |got: Result<ResponseCode, String>, want: ResponseCode| -> Result<(), String> {
        match got {
            Ok(code) if code == want => Ok(()),
            Ok(code) => Err(format!("expected {want:?}, got {code:?}")),
            Err(other) => Err(format!("expected {want:?}, got {other}")),
        }
    };
    let rt = &world.runtime;
    match &step.op {
        Op::Create => {
            let subject = format!("model step {n}");
            let start = window_start() + Duration::hours(n as i64);
            let appt = Appointment::builder()
                .subject(subject.clone())
                .start(start)
                .duration(Duration::minutes(30))
                .build()
                .expect("valid");
            let r = rt.block_on(mailbox.save(appt));
            if let Some(want) = refusal {
                return expect_code(code_of(&r), want);
            }
            let saved = r.map_err(|e| format!("create refused: {e}"))?;
            let id = saved.item_id().id.clone();
            if model.items.iter().any(|k| k.id == id) {
                return Err(format!("create returned an id already in use: {id}"));
            }
            let ck = saved.change_key().ok_or("create returned no ChangeKey")?.to_owned();
            model.items.push(Known { id, owner: target, change_keys: vec![ck], subject, deleted: false });
        }
        Op::Get(_) => {
            let Some(k) = item else { return Ok(()) };
            let known = model.items[k].clone();
            let id = ItemId { id: known.id.clone(), change_key: known.change_keys.last().cloned() };
            let r = rt.block_on(mailbox.get(&id));
            if let Some(want) = refusal {
                return expect_code(code_of(&r), want);
            }
            if known.owner != target || known.deleted {
                return expect_code(code_of(&r), ResponseCode::ErrorItemNotFound);
            }
            let item = r.map_err(|e| format!("get of a live item failed: {e}"))?;
            let got_id = item.item_id.ok_or("GetItem returned no ItemId")?;
            if got_id.id != known.id || got_id.change_key.as_deref() != known.change_keys.last().map(String::as_str) {
                return Err(format!("get returned {got_id:?}, model has {known:?}"));
            }
            if item.fields.subject.as_deref() != Some(known.subject.as_str()) {
                return Err(format!("get returned subject {:?}, model has {:?}", item.fields.subject, known.subject));
            }
        }
        Op::Find => {
            let r = rt.block_on(mailbox.calendar_view(window_start(), window_start() + Duration::days(7)));
            if let Some(want) = refusal {
                return expect_code(code_of(&r), want);
            }
            let items = r.map_err(|e| format!("calendar view failed: {e}"))?;
            let got: HashSet<String> = items.into_iter().filter_map(|i| i.item_id.map(|id| id.id)).collect();
            let want: HashSet<String> = model.calendar(target).into_keys().collect();
            if got != want {
                return Err(format!("calendar view returned {got:?}, model has {want:?}"));
            }
        }
        Op::Update(_, stale) => {
            let Some(k) = item else { return Ok(()) };
            let known = model.items[k].clone();
            let use_stale = *stale && known.change_keys.len() > 1;
            let ck = if use_stale { &known.change_keys[0] } else { known.change_keys.last().expect("one at least") };
            let subject = format!("model step {n} (updated)");
            let op = UpdateItem {
                changes: vec![(
                    ItemId { id: known.id.clone(), change_key: Some(ck.clone()) },
                    AppointmentUpdate::new().subject(subject.clone()),
                )],
                conflict_resolution: ConflictResolution::NeverOverwrite,
                send: SendInvitationsOrCancellations::SendToNone,
            };
            let r = rt.block_on(mailbox.send(&op)).and_then(|mut v| match v.len() {
                1 => v.remove(0).map_err(|e| Error::Response(Box::new(e))),
                n => Err(Error::Invalid(format!("{n} response messages for one change"))),
            });
            if let Some(want) = refusal {
                return expect_code(code_of(&r), want);
            }
            if known.owner != target || known.deleted {
                return expect_code(code_of(&r), ResponseCode::ErrorItemNotFound);
            }
            if use_stale {
                return expect_code(code_of(&r), ResponseCode::ErrorIrresolvableConflict);
            }
            let new_id = r.map_err(|e| format!("update with the current ChangeKey failed: {e}"))?;
            let new_ck = new_id.change_key.ok_or("update returned no ChangeKey")?;
            if new_id.id != known.id || known.change_keys.contains(&new_ck) {
                return Err(format!("update returned id {} ChangeKey {new_ck}; model has {known:?}", new_id.id));
            }
            let entry = &mut model.items[k];
            entry.change_keys.push(new_ck);
            entry.subject = subject;
        }
        Op::Delete(_) => {
            let Some(k) = item else { return Ok(()) };
            let known = model.items[k].clone();
            let id = ItemId::new(known.id.clone());
            let r = rt
                .block_on(mailbox.delete_items(vec![id], DeleteType::HardDelete, SendInvitations::SendToNone))
                .and_then(|mut v| match v.len() {
                    1 => v.remove(0).map_err(|e| Error::Response(Box::new(e))),
                    n => Err(Error::Invalid(format!("{n} response messages for one id"))),
                });
            if let Some(want) = refusal {
                return expect_code(code_of(&r), want);
            }
            if known.owner != target || known.deleted {
                return expect_code(code_of(&r), ResponseCode::ErrorItemNotFound);
            }
            r.map_err(|e| format!("delete of a live item failed: {e}"))?;
            model.items[k].deleted = true;
        }
    }
    Ok(())
}

/// The mock's calendars equal the model's, for every mailbox.
fn check_state(world: &World, model: &Model) -> Result<(), String> {
    for (m, address) in TARGETS.iter().enumerate().take(MISSING) {
        let actual: BTreeMap<String, (String, String)> = world
            .mock
            .items(address, FolderKind::Calendar)
            .into_iter()
            .map(|s| (s.id, (s.change_key, s.fields.subject.map(String::from).unwrap_or_default())))
            .collect();
        let expected = model.calendar(m);
        if actual != expected {
            return Err(format!("{address}'s calendar in the mock:\n{actual:#?}\nmodel:\n{expected:#?}"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_operation_sequences_agree_with_the_reference_model(steps in prop::collection::vec(step(), 1..24)) {
        let w = world();
        w.mock.reset();
        let mut model = Model::default();
        for (n, step) in steps.iter().enumerate() {
            run_step(w, &mut model, step, n)
                .and_then(|()| check_state(w, &model))
                .map_err(|e| TestCaseError::fail(format!("step {n} {step:?}: {e}")))?;
        }
    }
}
