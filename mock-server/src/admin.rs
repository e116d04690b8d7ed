//! The admin HTTP API under `/_mock/` (JSON), for tests written in any language.
//!
//! This first cut serves `GET /_mock/health`; the rest of the control surface builds on it.

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};

use crate::http::{plain, HttpResponse};
use crate::runtime::Shared;

/// Answers an admin request for `tenant`; `rest` is the path after `/_mock`.
pub(crate) async fn serve(shared: &Shared, tenant: &str, rest: &str, req: Request<Incoming>) -> HttpResponse {
    match (req.method(), rest) {
        (&Method::GET, "/health") => {
            let Some(t) = shared.tenant(tenant) else {
                return plain(StatusCode::NOT_FOUND, format!("invalid tenant name {tenant:?}\n"));
            };
            let items = t.store.lock().len();
            json(StatusCode::OK, serde_json::json!({ "status": "ok", "tenant": tenant, "items": items }))
        }
        _ => plain(StatusCode::NOT_FOUND, format!("ews-mock admin: no such endpoint {} /_mock{rest}\n", req.method())),
    }
}

pub(crate) fn json(status: StatusCode, value: serde_json::Value) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(value.to_string())));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
