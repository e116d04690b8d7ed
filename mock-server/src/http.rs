//! HTTP routing: `POST /EWS/Exchange.asmx` (any case, as IIS matches paths) to the EWS
//! dispatcher, `/_mock/…` to the admin API, and `/t/{tenant}/…` for either in a named tenant.
//!
//! Authentication happens here: missing or wrong credentials get 401 with Basic and Bearer
//! challenges and an empty body, and the connection stays open (a `Connection: close` on a 401
//! makes exchangelib report ServerBusy instead of bad credentials).

use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, AUTHORIZATION, CONNECTION, CONTENT_TYPE, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};

use crate::auth::{self, CHALLENGES};
use crate::dispatch;
use crate::fault::Fault;
use crate::response_code::ResponseCode;
use crate::runtime::{Shared, DEFAULT_TENANT};

/// The response type of every handler.
pub(crate) type HttpResponse = Response<Full<Bytes>>;

/// Where a path leads.
#[derive(Debug, PartialEq, Eq)]
enum Route<'a> {
    Ews { tenant: &'a str },
    Admin { tenant: &'a str, rest: &'a str },
    NotFound,
}

fn route(path: &str) -> Route<'_> {
    let (tenant, rest) = match path.strip_prefix("/t/") {
        Some(after) => match after.split_once('/') {
            Some((name, rest)) => (name, &path[path.len() - rest.len() - 1..]),
            None => return Route::NotFound,
        },
        None => (DEFAULT_TENANT, path),
    };
    if rest.eq_ignore_ascii_case("/EWS/Exchange.asmx") {
        Route::Ews { tenant }
    } else if let Some(admin) = rest.strip_prefix("/_mock") {
        if admin.is_empty() || admin.starts_with('/') {
            Route::Admin { tenant, rest: admin }
        } else {
            Route::NotFound
        }
    } else {
        Route::NotFound
    }
}

/// An injected connection reset: returned as the service's error, which makes hyper close the
/// connection without answering.
#[derive(Debug)]
pub(crate) struct ConnectionReset;

impl std::fmt::Display for ConnectionReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by an injected fault")
    }
}

impl std::error::Error for ConnectionReset {}

/// Answers one HTTP request. Every problem is an HTTP answer; the only error is an injected reset.
pub(crate) async fn serve(shared: Arc<Shared>, req: Request<Incoming>) -> Result<HttpResponse, ConnectionReset> {
    let path = req.uri().path().to_string();
    let limits = &shared.settings.limits;
    // Bodies of admin calls and of refused requests are read too: the same time limit applies.
    Ok(match route(&path) {
        Route::Ews { tenant } => return ews(&shared, tenant, req).await,
        Route::Admin { tenant, rest } if shared.settings.admin => {
            bounded(limits, crate::admin::serve(&shared, tenant, rest, req)).await
        }
        Route::Admin { .. } => {
            bounded(limits, async {
                drain(req.into_body()).await;
                plain(StatusCode::NOT_FOUND, "ews-mock: the admin API is turned off (--no-admin).\n".into())
            })
            .await
        }
        Route::NotFound => {
            bounded(limits, async {
                drain(req.into_body()).await;
                plain(
                    StatusCode::NOT_FOUND,
                    format!("ews-mock: no such path {path}. EWS is served at POST /EWS/Exchange.asmx (or /t/{{tenant}}/EWS/Exchange.asmx); the admin API at /_mock/.\n"),
                )
            })
            .await
        }
    })
}

/// Runs a handler that reads the request body within the body read timeout.
async fn bounded(
    limits: &crate::limits::Limits,
    handler: impl std::future::Future<Output = HttpResponse>,
) -> HttpResponse {
    tokio::time::timeout(limits.body_read_timeout, handler).await.unwrap_or_else(|_| request_timeout(limits))
}

/// 408 for a body that did not arrive in time; the connection is closed, as the rest of the
/// body may still be on its way.
fn request_timeout(limits: &crate::limits::Limits) -> HttpResponse {
    let mut r = plain(
        StatusCode::REQUEST_TIMEOUT,
        format!(
            "ews-mock: the request body did not arrive within {} ms (ews-mock --body-read-timeout-ms).\n",
            limits.body_read_timeout.as_millis()
        ),
    );
    r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

async fn ews(shared: &Shared, tenant_name: &str, req: Request<Incoming>) -> Result<HttpResponse, ConnectionReset> {
    if req.method() != Method::POST {
        let method = req.method().clone();
        if tokio::time::timeout(shared.settings.limits.body_read_timeout, drain(req.into_body())).await.is_err() {
            return Ok(request_timeout(&shared.settings.limits));
        }
        let mut r = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("ews-mock: EWS takes POST with a SOAP envelope, not {method}.\n"),
        );
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return Ok(r);
    }
    let authorization = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let meta = shared.settings.strict.then(|| {
        let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        crate::strict::HttpMeta {
            content_type: header("content-type"),
            soap_action: header("soapaction"),
            anchor_mailbox: header("x-anchormailbox"),
        }
    });
    // The body is read before anything else, so the connection can be kept open whatever the answer.
    let limits = &shared.settings.limits;
    let read = tokio::time::timeout(limits.body_read_timeout, read_body(req.into_body(), limits.max_body_bytes));
    let body = match read.await {
        Ok(Ok(body)) => body,
        Ok(Err(BodyError::TooLarge(n))) => {
            let fault = Fault::with_text(
                ResponseCode::ErrorInvalidRequest,
                format!(
                    "The request is invalid: its body of {n} bytes exceeds the limit of {} bytes (ews-mock --max-body-bytes).",
                    limits.max_body_bytes
                ),
            );
            return Ok(soap(StatusCode::PAYLOAD_TOO_LARGE, fault.to_xml()));
        }
        Ok(Err(BodyError::Transport)) => {
            return Ok(plain(StatusCode::BAD_REQUEST, "ews-mock: the request body could not be read.\n".into()))
        }
        Err(_elapsed) => return Ok(request_timeout(limits)),
    };
    let Some(tenant) = shared.tenant(tenant_name) else {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            format!(
                "ews-mock: invalid tenant name {tenant_name:?} (1-64 of A-Z a-z 0-9 . _ -), or too many tenants.\n"
            ),
        ));
    };
    let Some(caller) = auth::authenticate(&tenant.dir, authorization.as_deref()) else {
        return Ok(unauthorized());
    };
    let answer = dispatch::handle(&tenant, &shared.settings, &caller, &body, meta.as_ref());
    if let Some(delay) = answer.delay {
        tokio::time::sleep(delay).await;
    }
    if answer.reset {
        return Err(ConnectionReset);
    }
    if answer.status == 503 {
        return Ok(plain(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable (injected by ews-mock)\n".into()));
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(soap(status, answer.body))
}

enum BodyError {
    TooLarge(usize),
    Transport,
}

/// Reads the whole body; past `limit` the rest is read and dropped, so the answer can still be
/// sent on a usable connection.
async fn read_body(mut body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let mut buf: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Transport)?;
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total <= limit {
                buf.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        return Err(BodyError::TooLarge(total));
    }
    Ok(Bytes::from(buf))
}

/// Reads and drops a body that is not used, so the connection stays usable for the next request.
pub(crate) async fn drain(mut body: Incoming) {
    while let Some(Ok(_)) = body.frame().await {}
}

fn unauthorized() -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::UNAUTHORIZED;
    for challenge in CHALLENGES {
        r.headers_mut().append(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    r
}

pub(crate) fn soap(status: StatusCode, body: Vec<u8>) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"));
    r
}

pub(crate) fn plain(status: StatusCode, text: String) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ews_path_matches_in_any_case_and_in_named_tenants() {
        assert_eq!(route("/EWS/Exchange.asmx"), Route::Ews { tenant: "default" });
        assert_eq!(route("/ews/exchange.ASMX"), Route::Ews { tenant: "default" });
        assert_eq!(route("/t/job-42/EWS/Exchange.asmx"), Route::Ews { tenant: "job-42" });
        assert_eq!(route("/t/job-42/_mock/health"), Route::Admin { tenant: "job-42", rest: "/health" });
        assert_eq!(route("/_mock"), Route::Admin { tenant: "default", rest: "" });
        assert_eq!(route("/EWS/Other.asmx"), Route::NotFound);
        assert_eq!(route("/_mockery"), Route::NotFound);
    }
}
