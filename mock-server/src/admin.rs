//! The admin HTTP API under `/_mock/` (JSON), for tests written in any language.
//!
//! Each path also exists under `/t/{tenant}/_mock/…` for a named tenant. With an admin token
//! configured, every call needs `Authorization: Bearer <token>`.
//!
//! | call | does |
//! |---|---|
//! | `GET /_mock/health` | liveness, tenant name, item count |
//! | `GET /_mock/mailboxes` | the tenant's mailboxes with item counts per folder |
//! | `GET /_mock/mailboxes/{smtp}/folders/{folder}/items` | items of a folder (`calendar`, `inbox`, …) |
//! | `GET`/`DELETE /_mock/requests` | the request journal / forget it |
//! | `POST /_mock/reset` | back to the configured tenant: empty folders, journal, faults, expectations |
//! | `GET`/`POST`/`DELETE /_mock/faults`, `DELETE /_mock/faults/{id}` | fault rules |
//! | `GET`/`POST`/`DELETE /_mock/expectations`, `GET /_mock/verify` | expectations and their check |

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

use crate::control::Expect;
use crate::faults::{FaultAction, FaultRule};
use crate::http::{drain, HttpResponse};
use crate::response_code::ResponseCode;
use crate::runtime::{Shared, Tenant};
use crate::store::FolderKind;

/// Largest JSON body the admin API reads.
const MAX_JSON: usize = 1 << 20;

/// Answers an admin request for `tenant`; `rest` is the path after `/_mock`.
pub(crate) async fn serve(shared: &Shared, tenant: &str, rest: &str, req: Request<Incoming>) -> HttpResponse {
    if let Some(token) = &shared.settings.admin_token {
        let given = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
        if given.strip_prefix("Bearer ").map(str::trim) != Some(token.as_str()) {
            drain(req.into_body()).await;
            return error(StatusCode::UNAUTHORIZED, "the admin API needs `Authorization: Bearer <admin token>`");
        }
    }
    let method = req.method().clone();
    let body = match Limited::new(req.into_body(), MAX_JSON).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return error(StatusCode::PAYLOAD_TOO_LARGE, "admin request bodies are limited to 1 MiB"),
    };
    if rest == "/reset" && method == Method::POST {
        shared.reset(tenant);
        return json(StatusCode::OK, json!({ "reset": tenant }));
    }
    let Some(t) = shared.tenant(tenant) else {
        return error(StatusCode::NOT_FOUND, &format!("invalid tenant name {tenant:?} (1-64 of A-Z a-z 0-9 . _ -)"));
    };
    let segments: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["health"]) => json(
            StatusCode::OK,
            json!({ "status": "ok", "tenant": tenant, "items": t.store.lock().len(), "profile": format!("{:?}", t.dir.profile) }),
        ),
        (&Method::GET, ["mailboxes"]) => json(StatusCode::OK, mailboxes(&t)),
        (&Method::GET, ["mailboxes", smtp, "folders", folder, "items"]) => folder_items(&t, smtp, folder),
        (&Method::GET, ["requests"]) => json(StatusCode::OK, json!(t.journal.entries())),
        (&Method::DELETE, ["requests"]) => {
            t.journal.clear();
            json(StatusCode::OK, json!({ "cleared": true }))
        }
        (&Method::GET, ["faults"]) => json(StatusCode::OK, json!(t.faults.list())),
        (&Method::POST, ["faults"]) => match parse::<FaultRule>(&body).and_then(check_rule) {
            Ok(rule) => json(StatusCode::CREATED, json!({ "id": t.faults.add(rule) })),
            Err(e) => error(StatusCode::BAD_REQUEST, &e),
        },
        (&Method::DELETE, ["faults"]) => {
            t.faults.clear();
            json(StatusCode::OK, json!({ "cleared": true }))
        }
        (&Method::DELETE, ["faults", id]) => match id.parse::<u64>().ok().filter(|id| t.faults.remove(*id)) {
            Some(id) => json(StatusCode::OK, json!({ "deleted": id })),
            None => error(StatusCode::NOT_FOUND, &format!("no fault rule with id {id}")),
        },
        (&Method::GET, ["expectations"]) => json(StatusCode::OK, json!(t.expectations.results())),
        (&Method::POST, ["expectations"]) => match parse::<Expect>(&body) {
            Ok(e) => {
                t.expectations.add(e);
                json(StatusCode::CREATED, json!({ "added": true }))
            }
            Err(e) => error(StatusCode::BAD_REQUEST, &e),
        },
        (&Method::DELETE, ["expectations"]) => {
            t.expectations.clear();
            json(StatusCode::OK, json!({ "cleared": true }))
        }
        (&Method::GET, ["verify"]) => match t.expectations.verify() {
            Ok(()) => json(StatusCode::OK, json!({ "ok": true, "results": t.expectations.results() })),
            Err(e) => {
                json(StatusCode::EXPECTATION_FAILED, json!({ "ok": false, "results": e.results, "report": e.report }))
            }
        },
        _ => error(StatusCode::NOT_FOUND, &format!("no such admin endpoint: {method} /_mock{rest} (see the README)")),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
}

/// Refuses fault rules naming a response code that does not exist.
fn check_rule(rule: FaultRule) -> Result<FaultRule, String> {
    match &rule.action {
        FaultAction::Fault { code, .. } | FaultAction::MessageError { code, .. }
            if ResponseCode::from_name(code).is_none() =>
        {
            Err(format!("unknown EWS response code {code:?} (e.g. ErrorServerBusy, ErrorMailboxStoreUnavailable)"))
        }
        _ if rule.every == Some(0) => Err("`every` must be at least 1".into()),
        _ => Ok(rule),
    }
}

fn mailboxes(t: &Tenant) -> serde_json::Value {
    let state = t.store.lock();
    let list: Vec<_> = t
        .dir
        .mailboxes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let owner = &t.dir.principals[m.owner];
            let counts: serde_json::Map<String, serde_json::Value> = FolderKind::ALL
                .into_iter()
                .map(|f| (f.distinguished_id().to_string(), json!(state.count(i as u32, f))))
                .collect();
            json!({ "smtp": m.smtp, "display_name": m.display_name, "upn": owner.upn, "sid": owner.sid, "items": counts })
        })
        .collect();
    json!(list)
}

fn folder_items(t: &Tenant, smtp: &str, folder: &str) -> HttpResponse {
    let Some(mb) = t.dir.mailbox_by_smtp(smtp) else {
        return error(StatusCode::NOT_FOUND, &format!("no mailbox {smtp:?} in this tenant"));
    };
    let Some(kind) = FolderKind::from_distinguished_id(folder) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!(
                "no folder {folder:?}; use root, msgfolderroot, calendar, inbox, sentitems, deleteditems or drafts"
            ),
        );
    };
    json(StatusCode::OK, json!(t.items(mb, kind)))
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    json(status, json!({ "error": message }))
}

pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
