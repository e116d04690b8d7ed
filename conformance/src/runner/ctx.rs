//! What scenarios work with: the shared [`Env`] and the per-scenario [`Ctx`] (unique subjects,
//! time slots, helpers, and the list of created items deleted afterwards).

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, DurationRound, Utc};
use ews_client::{ConnectingSid, ItemId, Mailbox, Service};

use super::config::{Config, Credentials};
use super::raw::{self, Answer, RawClient, RawItem, Reply};
use super::Verdict;

/// Everything shared by the scenarios of one run.
#[derive(Debug)]
pub struct Env {
    /// The configuration.
    pub config: Config,
    /// The EWS URL.
    pub endpoint: String,
    /// A short id unique to this run, carried by every subject.
    pub run_id: String,
    /// The typed client, signed in as the service account.
    pub service: Service,
    /// The raw SOAP client.
    pub raw: RawClient,
    /// The mock's admin API base (`…/_mock`), when the endpoint has one.
    pub admin: Option<String>,
    /// The first time slot: whole hours, two weeks ahead.
    pub base_time: DateTime<Utc>,
}

/// The admin API base for an EWS URL: `http://h/EWS/Exchange.asmx` → `http://h/_mock`,
/// `http://h/t/x/EWS/Exchange.asmx` → `http://h/t/x/_mock`; `None` for other paths.
pub fn admin_base(endpoint: &str) -> Option<String> {
    const SUFFIX: &str = "/ews/exchange.asmx";
    let cut = endpoint.len().checked_sub(SUFFIX.len())?;
    let tail = endpoint.get(cut..)?;
    tail.eq_ignore_ascii_case(SUFFIX).then(|| format!("{}/_mock", &endpoint[..cut]))
}

impl Env {
    /// Builds the clients (the typed one retries ErrorServerBusy within its default budget, so a
    /// throttled real server does not fail scenarios; the ServerBusy scenarios use raw SOAP) and
    /// detects the mock's admin API (`GET …/_mock/health` answering
    /// `{"status":"ok"}`).
    pub async fn connect(endpoint: &str, config: Config) -> Result<Env, String> {
        let timeout = Duration::from_secs(60);
        let service = Service::builder(endpoint)
            .credentials(config.service.to_client())
            .time_zone(config.options.time_zone.clone())
            .timeout(timeout)
            .build()
            .map_err(|e| format!("client for {endpoint}: {e}"))?;
        let raw = RawClient::new(endpoint, timeout)?;
        let mut admin = None;
        if let Some(base) = admin_base(endpoint) {
            let health = raw.http().get(format!("{base}/health")).send().await;
            if let Ok(resp) = health {
                let ok = resp.status().is_success();
                let body = resp.text().await.unwrap_or_default();
                let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                if ok && json.get("status").and_then(|s| s.as_str()) == Some("ok") {
                    admin = Some(base);
                }
            }
        }
        let now = Utc::now();
        let run_id = format!("{:x}{:04x}", now.timestamp() % 0x1000000, now.timestamp_subsec_micros() % 0x10000);
        let base_time = (now + chrono::Duration::days(14))
            .duration_trunc(chrono::Duration::hours(1))
            .expect("truncating a current time to the hour cannot overflow");
        Ok(Env { config, endpoint: endpoint.to_string(), run_id, service, raw, admin, base_time })
    }
}

/// One scenario's view of the run.
#[derive(Debug)]
pub struct Ctx<'e> {
    /// The shared environment.
    pub env: &'e Env,
    /// The scenario id.
    pub scenario: &'static str,
    /// The scenario's index: its time slot.
    slot: usize,
    /// Items to delete afterwards: (mailbox SMTP address, id). A std Mutex: never held across
    /// an await.
    created: Mutex<Vec<(String, ItemId)>>,
}

impl<'e> Ctx<'e> {
    /// A context for scenario `scenario` in time slot `slot`.
    pub fn new(env: &'e Env, scenario: &'static str, slot: usize) -> Ctx<'e> {
        Ctx { env, scenario, slot, created: Mutex::new(Vec::new()) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.env.config
    }

    /// The SMTP address of the n-th configured mailbox.
    pub fn mailbox_smtp(&self, n: usize) -> &str {
        &self.env.config.mailboxes[n].smtp
    }

    /// The text every subject of this scenario carries: `[ews-conformance <run>/<scenario>]`.
    pub fn tag(&self) -> String {
        format!("[ews-conformance {}/{}]", self.env.run_id, self.scenario)
    }

    /// A subject unique to this run and scenario.
    pub fn subject(&self, what: &str) -> String {
        format!("{what} {}", self.tag())
    }

    /// This scenario's start time plus `hours` (each scenario has its own day).
    pub fn start(&self, hours: i64) -> DateTime<Utc> {
        self.env.base_time + chrono::Duration::days(self.slot as i64) + chrono::Duration::hours(hours)
    }

    /// The service account acting as `smtp` (SmtpAddress form).
    pub fn mailbox(&self, smtp: &str) -> Mailbox {
        self.env.service.impersonate(ConnectingSid::SmtpAddress(smtp.to_string()))
    }

    /// A typed client signed in with other credentials (the no-right or scoped account).
    pub fn service_as(&self, who: &Credentials) -> Result<Service, Verdict> {
        Service::builder(&self.env.endpoint)
            .credentials(who.to_client())
            .time_zone(self.env.config.options.time_zone.clone())
            .build()
            .map_err(|e| Verdict::Fail(format!("client for {}: {e}", who.name())))
    }

    /// Remembers an item to delete after the scenario.
    pub fn track(&self, smtp: &str, id: &ItemId) {
        self.created.lock().unwrap_or_else(|p| p.into_inner()).push((smtp.to_string(), id.clone()));
    }

    /// Sends a raw body (the operation element) as `who`, acting as `sid`.
    pub async fn post_raw(&self, who: &Credentials, sid: Option<&ConnectingSid>, body: &str) -> Result<Reply, Verdict> {
        let xml = raw::envelope(&self.env.config.options.time_zone, sid, body);
        self.post_document(who, sid.map(ConnectingSid::value), xml).await
    }

    /// Sends a whole document as `who`.
    pub async fn post_document(&self, who: &Credentials, anchor: Option<&str>, xml: String) -> Result<Reply, Verdict> {
        self.env.raw.post(who, anchor, xml).await.map_err(Verdict::Fail)
    }

    /// Sends a raw body as the service account acting as `smtp`, and reads the answer.
    pub async fn raw_as(&self, smtp: &str, body: &str) -> Result<Answer, Verdict> {
        let sid = ConnectingSid::SmtpAddress(smtp.to_string());
        let reply = self.post_raw(&self.env.config.service, Some(&sid), body).await?;
        raw::read(&reply).map_err(Verdict::Fail)
    }

    /// The items of a distinguished folder of `smtp` whose subject contains `needle`.
    pub async fn find(&self, smtp: &str, folder: &str, needle: &str) -> Result<Vec<RawItem>, Verdict> {
        match self.raw_as(smtp, &raw::find_by_subject(folder, needle)).await? {
            Answer::Messages(ms) if ms.len() == 1 && ms[0].class == "Success" => Ok(ms[0].items.clone()),
            other => Err(Verdict::Fail(format!("FindItem in {smtp}'s {folder}: {}", other.describe()))),
        }
    }

    /// Deletes what the scenario created; returns notes about what could not be deleted.
    pub(crate) async fn clean_up(&self) -> Vec<String> {
        let created = std::mem::take(&mut *self.created.lock().unwrap_or_else(|p| p.into_inner()));
        let mut notes = Vec::new();
        for (smtp, id) in created {
            match self.raw_as(&smtp, &raw::hard_delete(std::slice::from_ref(&id))).await {
                Ok(Answer::Messages(ms))
                    if ms.iter().all(|m| m.class == "Success" || m.code == "ErrorItemNotFound") => {}
                Ok(other) => notes.push(format!("cleanup: deleting an item in {smtp}: {}", other.describe())),
                Err(Verdict::Fail(m) | Verdict::Skip(m)) => notes.push(format!("cleanup in {smtp}: {m}")),
            }
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::admin_base;

    #[test]
    fn the_admin_base_sits_beside_the_ews_path_also_for_tenants() {
        assert_eq!(admin_base("http://h:1/EWS/Exchange.asmx").as_deref(), Some("http://h:1/_mock"));
        assert_eq!(admin_base("http://h/t/job-1/ews/exchange.asmx").as_deref(), Some("http://h/t/job-1/_mock"));
        assert_eq!(admin_base("https://h/other"), None);
    }
}
