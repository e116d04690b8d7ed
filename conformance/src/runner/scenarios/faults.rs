//! Faults: malformed XML and the docs' `https://` SOAP namespace (judged against their goldens
//! in `fixtures/faults/`), and ErrorServerBusy with BackOffMilliseconds in both transports
//! (fault injection: ews-mock's admin API only; skipped elsewhere).

use ews_client::ConnectingSid;

use super::ensure;
use crate::golden;
use crate::runner::raw::{self, Answer, Reply};
use crate::runner::{Ctx, Outcome, Verdict};

/// The golden request/response of the malformed-XML case (an unescaped `&` in the Subject).
const MALFORMED_REQUEST: &str =
    include_str!("../../../../fixtures/faults/err_schema_validation_malformed_xml.request.xml");
const MALFORMED_RESPONSE: &str =
    include_str!("../../../../fixtures/faults/err_schema_validation_malformed_xml.response.xml");
/// The golden request/response of the `https://` SOAP namespace case (the docs' sample verbatim).
const HTTPS_REQUEST: &str = include_str!("../../../../fixtures/faults/err_https_soap_namespace.request.xml");
const HTTPS_RESPONSE: &str = include_str!("../../../../fixtures/faults/err_https_soap_namespace.response.xml");

/// Sends a fixture request adapted to this run (first mailbox, unique subject) and judges the
/// answer: HTTP 500, the expected fault code, then the canonical golden comparison (the diff).
async fn golden_fault(
    ctx: &Ctx<'_>,
    case: &str,
    request: &str,
    golden_xml: &str,
    subject: (&str, String),
    code: &str,
) -> Outcome {
    let smtp = ctx.mailbox_smtp(0);
    let xml = request.replace("alfred@contoso.com", smtp).replace(subject.0, &subject.1);
    let reply: Reply = ctx.post_document(&ctx.config().service, Some(smtp), xml).await?;
    let answer = raw::read(&reply);
    if let Ok(Answer::Messages(ms)) = &answer {
        // The server accepted what it must refuse: remove what it stored.
        for id in ms.iter().flat_map(|m| &m.items).filter_map(|i| i.id.as_ref()) {
            ctx.track(smtp, id);
        }
    }
    let described = match &answer {
        Ok(a) => a.describe(),
        Err(e) => e.clone(),
    };
    ensure(reply.status == 500, || {
        format!("expected HTTP 500 with a SOAP fault, got HTTP {}: {described}", reply.status)
    })?;
    match &answer {
        Ok(Answer::Fault(f)) if f.code == code => {}
        _ => return Err(Verdict::Fail(format!("expected the {code} fault, got {described}"))),
    }
    let path = format!("fixtures/faults/{case}.response.xml");
    golden::compare(&format!("faults/{case}"), &path, golden_xml, &reply.body).map_err(|m| Verdict::Fail(m.to_string()))
}

/// Malformed XML → the ErrorSchemaValidation fault with LineNumber/LinePosition/Violation.
pub(crate) async fn malformed_xml(ctx: &Ctx<'_>) -> Outcome {
    // The tag goes after "session", so line 18 position 25 (the bad `&`) does not move.
    let subject = ("Q&A session", format!("Q&A session {}", ctx.tag()));
    golden_fault(
        ctx,
        "err_schema_validation_malformed_xml",
        MALFORMED_REQUEST,
        MALFORMED_RESPONSE,
        subject,
        "ErrorSchemaValidation",
    )
    .await
}

/// `https://schemas.xmlsoap.org/soap/envelope/` → SOAP VersionMismatch naming the right namespace.
pub(crate) async fn https_soap_namespace(ctx: &Ctx<'_>) -> Outcome {
    let subject = ("Tennis lesson", ctx.subject("Tennis lesson"));
    golden_fault(ctx, "err_https_soap_namespace", HTTPS_REQUEST, HTTPS_RESPONSE, subject, "VersionMismatch").await
}

/// Installs a fault rule through the admin API; returns its id, or a skip without the API.
async fn inject(ctx: &Ctx<'_>, rule: serde_json::Value) -> Result<u64, Verdict> {
    let Some(admin) = &ctx.env.admin else {
        return Err(Verdict::Skip("the endpoint has no /_mock/ admin API (fault injection is ews-mock's)".into()));
    };
    let req = ctx.env.raw.http().post(format!("{admin}/faults")).header("Content-Type", "application/json");
    let resp = req.body(rule.to_string()).send().await.map_err(|e| format!("POST {admin}/faults: {e}"))?;
    let status = resp.status();
    let body: serde_json::Value = serde_json::from_str(&resp.text().await.unwrap_or_default()).unwrap_or_default();
    body.get("id")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| Verdict::Fail(format!("POST {admin}/faults: HTTP {status}: {body}")))
}

/// Removes a fault rule (best effort: a consumed rule may already be gone).
async fn remove(ctx: &Ctx<'_>, id: u64) {
    if let Some(admin) = &ctx.env.admin {
        let _ = ctx.env.raw.http().delete(format!("{admin}/faults/{id}")).send().await;
    }
}

/// The GetFolder request the ServerBusy scenarios send.
const GET_CALENDAR: &str = "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>\
     <m:FolderIds><t:DistinguishedFolderId Id=\"calendar\"/></m:FolderIds></m:GetFolder>";

/// Injects ErrorServerBusy (`kind`: `server_busy_fault` or `server_busy_message`) for one
/// GetFolder, checks the answer with `judge`, then checks the next request is served.
async fn server_busy(ctx: &Ctx<'_>, kind: &str, judge: fn(&Reply, &Answer) -> Outcome) -> Outcome {
    const BACK_OFF_MS: u64 = 1500;
    let smtp = ctx.mailbox_smtp(0);
    let rule = serde_json::json!({
        "operation": "GetFolder", "acting_as": smtp, "times": 1,
        "action": { "type": kind, "back_off_ms": BACK_OFF_MS }
    });
    let rule_id = inject(ctx, rule).await?;
    let sid = ConnectingSid::SmtpAddress(smtp.to_string());
    let result = async {
        let reply = ctx.post_raw(&ctx.config().service, Some(&sid), GET_CALENDAR).await?;
        let answer = raw::read(&reply).map_err(Verdict::Fail)?;
        judge(&reply, &answer)?;
        let busy = |mx: &[(String, String)]| mx.iter().any(|(n, v)| n == "BackOffMilliseconds" && v == "1500");
        let back_off = match &answer {
            Answer::Fault(f) => busy(&f.message_xml),
            Answer::Messages(ms) => ms.iter().any(|m| busy(&m.message_xml)),
        };
        ensure(back_off, || format!("no MessageXml BackOffMilliseconds = {BACK_OFF_MS} in:\n{}", reply.body))?;
        let next = raw::read(&ctx.post_raw(&ctx.config().service, Some(&sid), GET_CALENDAR).await?)?;
        ensure(matches!(&next, Answer::Messages(ms) if ms.iter().all(|m| m.class == "Success")), || {
            format!("the request after the busy answer was not served: {}", next.describe())
        })
    }
    .await;
    remove(ctx, rule_id).await;
    result
}

/// ErrorServerBusy as an HTTP 500 SOAP fault.
pub(crate) async fn server_busy_back_off(ctx: &Ctx<'_>) -> Outcome {
    server_busy(ctx, "server_busy_fault", |reply, answer| match answer {
        Answer::Fault(f) if f.code == "ErrorServerBusy" && reply.status == 500 => Ok(()),
        other => Err(Verdict::Fail(format!(
            "expected HTTP 500 with the ErrorServerBusy fault, got HTTP {}: {}",
            reply.status,
            other.describe()
        ))),
    })
    .await
}

/// ErrorServerBusy as an HTTP 200 per-message error.
pub(crate) async fn server_busy_message(ctx: &Ctx<'_>) -> Outcome {
    server_busy(ctx, "server_busy_message", |reply, answer| match answer {
        Answer::Messages(ms) if reply.status == 200 && ms.iter().any(|m| m.code == "ErrorServerBusy") => Ok(()),
        other => Err(Verdict::Fail(format!(
            "expected HTTP 200 with an ErrorServerBusy response message, got HTTP {}: {}",
            reply.status,
            other.describe()
        ))),
    })
    .await
}
