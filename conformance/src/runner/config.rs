//! The runner's configuration file (TOML): who signs in, which mailboxes to use, and the
//! accounts the impersonation rules are checked with.
//!
//! ```toml
//! missing_address = "nobody@contoso.com"   # an address that is no mailbox
//!
//! [service]                     # the account holding ApplicationImpersonation
//! user = "svc-calendar@contoso.com"
//! password = "password"         # or password_env = "EWS_PASSWORD", or token = "…" (bearer)
//!
//! [[mailboxes]]                 # at least two; three for meetings with two attendees
//! smtp = "alfred@contoso.com"
//! upn = "alfred@contoso.com"    # optional: PrincipalName form (default: smtp)
//! sid = "S-1-5-21-…-1118"       # optional: SID form (skipped when no mailbox has one)
//!
//! [no_right]                    # an account without the impersonation right
//! user = "alfred@contoso.com"
//! password = "password"
//!
//! [scoped]                      # optional: impersonation limited by a management scope
//! user = "svc-sales@contoso.com"
//! password = "password"
//! inside = "sonyaf@contoso.com"
//! outside = "alfred@contoso.com"
//!
//! [options]                     # optional
//! time_zone = "Pacific Standard Time"   # TimeZoneContext sent with every request
//! scenario_timeout_secs = 120
//! delivery_timeout_secs = 30            # how long to wait for a MeetingRequest to arrive
//! ```

use std::path::Path;

use serde::Deserialize;

/// How an account signs in. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// HTTP Basic.
    Basic {
        /// User name or UPN.
        user: String,
        /// Password.
        password: String,
    },
    /// An OAuth bearer token.
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Basic { user, .. } => write!(f, "Basic({user}, <redacted>)"),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

impl Credentials {
    /// The name shown in messages (the user, or `bearer token`).
    pub fn name(&self) -> &str {
        match self {
            Credentials::Basic { user, .. } => user,
            Credentials::Bearer(_) => "bearer token",
        }
    }

    /// As the ews-client crate spells them.
    pub fn to_client(&self) -> ews_client::Credentials {
        match self {
            Credentials::Basic { user, password } => {
                ews_client::Credentials::Basic { username: user.clone(), password: password.clone() }
            }
            Credentials::Bearer(token) => ews_client::Credentials::Bearer(token.clone()),
        }
    }
}

/// One mailbox the scenarios write into.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// The primary SMTP address.
    pub smtp: String,
    /// The user principal name (defaults to the SMTP address).
    pub upn: Option<String>,
    /// The security identifier, for the `SID` ConnectingSID form.
    pub sid: Option<String>,
}

impl MailboxConfig {
    /// The UPN, or the SMTP address when none is configured.
    pub fn upn(&self) -> &str {
        self.upn.as_deref().unwrap_or(&self.smtp)
    }
}

/// The scoped impersonation account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoped {
    /// How it signs in.
    pub credentials: Credentials,
    /// A mailbox inside its scope.
    pub inside: String,
    /// A mailbox outside its scope.
    pub outside: String,
}

/// Tuning knobs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// The Windows time-zone id sent as `TimeZoneContext`.
    pub time_zone: String,
    /// The most time one scenario may take, in seconds.
    pub scenario_timeout_secs: u64,
    /// How long to poll an attendee's inbox for a MeetingRequest, in seconds.
    pub delivery_timeout_secs: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { time_zone: "Pacific Standard Time".into(), scenario_timeout_secs: 120, delivery_timeout_secs: 30 }
    }
}

/// The parsed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The service account holding the impersonation right.
    pub service: Credentials,
    /// The mailboxes to write into (two or more).
    pub mailboxes: Vec<MailboxConfig>,
    /// An account without the impersonation right.
    pub no_right: Credentials,
    /// A scoped impersonation account, if the server has one.
    pub scoped: Option<Scoped>,
    /// An SMTP address that names no mailbox.
    pub missing_address: String,
    /// Tuning knobs.
    pub options: Options,
}

/// The file format of an account table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountFile {
    user: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    token: Option<String>,
    inside: Option<String>,
    outside: Option<String>,
}

/// The file format of the whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    service: AccountFile,
    mailboxes: Vec<MailboxConfig>,
    no_right: AccountFile,
    scoped: Option<AccountFile>,
    missing_address: String,
    #[serde(default)]
    options: Options,
}

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn credentials(table: &str, a: &AccountFile) -> Result<Credentials, String> {
    match (&a.user, &a.token) {
        (Some(_), Some(_)) => Err(format!("[{table}]: give `user` or `token`, not both")),
        (None, Some(token)) => Ok(Credentials::Bearer(token.clone())),
        (None, None) => Err(format!("[{table}]: needs `user` (with `password` or `password_env`) or `token`")),
        (Some(user), None) => {
            let password = match (&a.password, &a.password_env) {
                (Some(p), None) => p.clone(),
                (None, Some(var)) => std::env::var(var)
                    .map_err(|_| format!("[{table}]: environment variable {var} (password_env) is not set"))?,
                (Some(_), Some(_)) => return Err(format!("[{table}]: give `password` or `password_env`, not both")),
                (None, None) => return Err(format!("[{table}]: `user` needs `password` or `password_env`")),
            };
            Ok(Credentials::Basic { user: user.clone(), password })
        }
    }
}

impl Config {
    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> Result<Config, String> {
        let f: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if f.mailboxes.len() < 2 {
            return Err(format!("[[mailboxes]]: at least two are needed, got {}", f.mailboxes.len()));
        }
        for (table, a) in [("service", &f.service), ("no_right", &f.no_right)] {
            if a.inside.is_some() || a.outside.is_some() {
                return Err(format!("[{table}]: `inside`/`outside` belong to [scoped]"));
            }
        }
        let scoped = match &f.scoped {
            None => None,
            Some(a) => Some(Scoped {
                credentials: credentials("scoped", a)?,
                inside: a.inside.clone().ok_or("[scoped]: needs `inside` (a mailbox in its scope)")?,
                outside: a.outside.clone().ok_or("[scoped]: needs `outside` (a mailbox outside its scope)")?,
            }),
        };
        Ok(Config {
            service: credentials("service", &f.service)?,
            mailboxes: f.mailboxes,
            no_right: credentials("no_right", &f.no_right)?,
            scoped,
            missing_address: f.missing_address,
            options: f.options,
        })
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| ConfigError { path: shown.clone(), message: e.to_string() })?;
        Config::parse(&text).map_err(|message| ConfigError { path: shown, message })
    }

    /// The ready configuration for the demo tenant (`conformance/demo-tenant.toml`).
    pub fn demo_tenant() -> Config {
        Config::parse(DEMO_TENANT).expect("demo-tenant.toml is a valid configuration")
    }
}

/// The text of `conformance/demo-tenant.toml`.
pub const DEMO_TENANT: &str = include_str!("../../demo-tenant.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_tenant_config_parses_with_three_mailboxes_and_a_scope() {
        let c = Config::demo_tenant();
        assert_eq!(c.mailboxes.len(), 3);
        assert_eq!(
            c.service,
            Credentials::Basic { user: "svc-calendar@contoso.com".into(), password: "password".into() }
        );
        assert_eq!(c.scoped.as_ref().map(|s| s.inside.as_str()), Some("sonyaf@contoso.com"));
    }

    #[test]
    fn debug_output_never_shows_a_password() {
        let shown = format!("{:?}", Config::demo_tenant());
        assert!(!shown.contains("\"password\""), "{shown}");
        assert!(shown.contains("Basic(svc-calendar@contoso.com, <redacted>)"), "{shown}");
    }

    #[test]
    fn a_config_with_one_mailbox_or_double_credentials_is_refused() {
        let one = "missing_address = \"x@y\"\n[service]\nuser = \"s\"\npassword = \"p\"\n[no_right]\ntoken = \"t\"\n\
                   [[mailboxes]]\nsmtp = \"a@b\"\n";
        assert!(Config::parse(one).expect_err("one mailbox").contains("at least two"));
        let double = one.replace("token = \"t\"", "token = \"t\"\nuser = \"u\"");
        assert!(Config::parse(&double).is_err());
    }
}
