//! [`Service`]: an EWS endpoint with credentials, bound once and shared by every task.
//!
//! A `Service` is a cheap-clone handle over `Arc<Inner>`; it holds no impersonation state.
//! Impersonation is a value: [`Service::impersonate`] returns a [`Mailbox`] handle, and many of
//! them can be used at once without touching each other (unlike EWSMA's mutable
//! `ImpersonatedUserId`). Only ErrorServerBusy is retried — as a fault, or in every response
//! message of an HTTP 200 answer — honouring BackOffMilliseconds
//! within the [`RetryPolicy`] budget; sleeping uses `tokio::time`, so tests can pause time.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, HttpError, Result};
use crate::ops::Operation;
use crate::soap::{self, RequestHeader};
use crate::types::{ConnectingSid, ExchangeVersion, ResponseCode};
use crate::Mailbox;

/// How the service signs in.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// HTTP Basic (on-premises Exchange, the mock).
    Basic {
        /// User name or UPN.
        username: String,
        /// Password.
        password: String,
    },
    /// An OAuth bearer token (an app-only token needs impersonation; a delegated one forbids it).
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// The retry budget for ErrorServerBusy. Nothing else is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (1 = never retry).
    pub max_attempts: u32,
    /// The most time spent waiting between attempts; a back-off that would exceed it is not
    /// waited and the fault is returned.
    pub max_total_wait: Duration,
    /// The wait when the fault carries no BackOffMilliseconds.
    pub default_back_off: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            max_total_wait: Duration::from_secs(60),
            default_back_off: Duration::from_secs(1),
        }
    }
}

/// Builds a [`Service`].
///
/// ```
/// use std::time::Duration;
/// let service = ews_client::Service::builder("https://mail.contoso.com/EWS/Exchange.asmx")
///     .basic("svc-calendar@contoso.com", "password")
///     .timeout(Duration::from_secs(30))
///     .time_zone("Pacific Standard Time")
///     .build()
///     .unwrap();
/// let alfred = service.impersonate(ews_client::ConnectingSid::SmtpAddress("alfred@contoso.com".into()));
/// assert_eq!(alfred.sid().value(), "alfred@contoso.com");
/// ```
#[derive(Debug, Clone)]
pub struct ServiceBuilder {
    endpoint: String,
    credentials: Option<Credentials>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    version: ExchangeVersion,
    time_zone: Option<String>,
    user_agent: String,
    retry: RetryPolicy,
}

impl ServiceBuilder {
    /// Signs in with HTTP Basic.
    pub fn basic(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Basic { username: username.into(), password: password.into() });
        self
    }

    /// Signs in with an OAuth bearer token.
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Bearer(token.into()));
        self
    }

    /// Sets the credentials.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Total time for one HTTP request (default 100 s, EWSMA's default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// No total time limit per request.
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self
    }

    /// Time to establish a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// `RequestServerVersion` (default Exchange2013).
    pub fn server_version(mut self, version: ExchangeVersion) -> Self {
        self.version = version;
        self
    }

    /// `TimeZoneContext`: the Windows time-zone id the server uses for times without a zone.
    pub fn time_zone(mut self, windows_id: impl Into<String>) -> Self {
        self.time_zone = Some(windows_id.into());
        self
    }

    /// The `User-Agent` header (default `ews-client/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The ErrorServerBusy retry budget.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Creates the service.
    ///
    /// # Errors
    /// [`Error::Invalid`] without credentials or with a non-http(s) endpoint;
    /// [`Error::Transport`] if the HTTP client cannot be set up (e.g. no TLS roots).
    pub fn build(self) -> Result<Service> {
        let credentials = self.credentials.ok_or_else(|| Error::Invalid("no credentials".into()))?;
        if !(self.endpoint.starts_with("http://") || self.endpoint.starts_with("https://")) {
            return Err(Error::Invalid(format!("endpoint {:?} is not an http(s) URL", self.endpoint)));
        }
        let mut http = reqwest::Client::builder().user_agent(self.user_agent);
        if let Some(t) = self.timeout {
            http = http.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            http = http.connect_timeout(t);
        }
        Ok(Service {
            inner: Arc::new(Inner {
                http: http.build()?,
                endpoint: self.endpoint,
                credentials,
                version: self.version,
                time_zone: self.time_zone,
                retry: self.retry,
            }),
        })
    }
}

/// An EWS endpoint with credentials. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// reqwest's client is itself an `Arc`'d pool; keeping one per service reuses connections.
    http: reqwest::Client,
    endpoint: String,
    credentials: Credentials,
    version: ExchangeVersion,
    time_zone: Option<String>,
    retry: RetryPolicy,
}

impl Service {
    /// Starts a builder for the EWS URL, e.g. `https://host/EWS/Exchange.asmx`.
    pub fn builder(endpoint: impl Into<String>) -> ServiceBuilder {
        ServiceBuilder {
            endpoint: endpoint.into(),
            credentials: None,
            timeout: Some(Duration::from_secs(100)),
            connect_timeout: None,
            version: ExchangeVersion::default(),
            time_zone: None,
            user_agent: concat!("ews-client/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
        }
    }

    /// A handle acting as `sid` through ExchangeImpersonation. Nothing is sent until it is used.
    pub fn impersonate(&self, sid: ConnectingSid) -> Mailbox {
        Mailbox::new(self.clone(), sid)
    }

    /// Sends an operation as the signed-in account itself (no impersonation).
    ///
    /// # Errors
    /// Transport, HTTP status, SOAP fault (after ServerBusy retries) or XML errors. Per-item
    /// errors are inside the response.
    pub async fn send<O: Operation>(&self, op: &O) -> Result<O::Response> {
        self.execute(op, None, None).await
    }

    /// Sends `op`, optionally impersonating, retrying ErrorServerBusy within the budget.
    pub(crate) async fn execute<O: Operation>(
        &self,
        op: &O,
        sid: Option<&ConnectingSid>,
        anchor: Option<&str>,
    ) -> Result<O::Response> {
        let inner = &self.inner;
        let header =
            RequestHeader { version: inner.version, time_zone: inner.time_zone.as_deref(), impersonation: sid };
        let body = soap::write_envelope(header, |w| op.write_body(w));
        let policy = inner.retry;
        let mut attempts = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempts += 1;
            let (result, busy) = self.post_once::<O>(body.clone(), anchor).await;
            let back_off = match (&result, busy) {
                (Err(Error::Fault(fault)), _) if fault.response_code == Some(ResponseCode::ErrorServerBusy) => {
                    fault.back_off()
                }
                // ErrorServerBusy in every response message (HTTP 200): throttled just the same.
                (Ok(_), Some(back_off)) => back_off,
                _ => return result,
            };
            let back_off = back_off.unwrap_or(policy.default_back_off);
            if attempts >= policy.max_attempts || waited + back_off > policy.max_total_wait {
                return result;
            }
            tokio::time::sleep(back_off).await;
            waited += back_off;
        }
    }

    /// One POST: the parsed answer, and — when every response message is ErrorServerBusy — the
    /// back-off it asks for.
    async fn post_once<O: Operation>(
        &self,
        body: Vec<u8>,
        anchor: Option<&str>,
    ) -> (Result<O::Response>, Option<Option<Duration>>) {
        match self.post_text::<O>(body, anchor).await {
            Ok((status, text, challenge)) => {
                let busy = if status == 200 { soap::busy_messages(&text) } else { None };
                (Self::read::<O>(status, text, challenge), busy)
            }
            Err(e) => (Err(e), None),
        }
    }

    /// Sends the request; the status, body and `WWW-Authenticate` challenges of the answer.
    async fn post_text<O: Operation>(&self, body: Vec<u8>, anchor: Option<&str>) -> Result<(u16, String, String)> {
        let inner = &self.inner;
        let mut request = inner
            .http
            .post(&inner.endpoint)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .header(reqwest::header::ACCEPT, "text/xml")
            .header("SOAPAction", format!("{}{}", crate::ns::SOAP_ACTION_BASE, O::NAME))
            .body(body);
        request = match &inner.credentials {
            Credentials::Basic { username, password } => request.basic_auth(username, Some(password)),
            Credentials::Bearer(token) => request.bearer_auth(token),
        };
        if let Some(anchor) = anchor {
            request = request.header("X-AnchorMailbox", anchor);
        }
        let response = request.send().await?;
        let status = response.status();
        let challenge = response
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        let text = response.text().await?;
        Ok((status.as_u16(), text, challenge))
    }

    /// Reads an answer: 200 carries the response, 500 a SOAP fault (EWSMA reads faults only on
    /// 500); anything else, or a 500 that is no SOAP envelope (an IIS error page), is an HTTP error.
    fn read<O: Operation>(status: u16, text: String, challenge: String) -> Result<O::Response> {
        let success = (200..300).contains(&status);
        if success || (status == 500 && text.trim_start().starts_with('<')) {
            match soap::read_response(&text, O::NAME, O::parse_response) {
                Err(Error::Xml(_)) if !success => {}
                other => return other,
            }
        }
        Err(Error::Http(Box::new(HttpError {
            status,
            challenge: (!challenge.is_empty()).then_some(challenge),
            body: text,
        })))
    }
}
