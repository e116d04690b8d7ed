//! Tenant configuration: who exists, who may sign in, and who may impersonate whom.
//!
//! A tenant is declared in TOML (see `tenants/demo.toml`, which is also the embedded demo tenant)
//! and resolved into a [`Directory`], the read-only view the request path consults: sign-in,
//! ConnectingSID resolution and impersonation rights. Mailbox contents live in [`crate::store`].

use serde::Deserialize;

use crate::profile::ServerProfile;
use crate::Error;

/// The demo tenant's TOML, embedded so the binary needs no files.
pub(crate) const DEMO_TENANT_TOML: &str = include_str!("../tenants/demo.toml");

/// A tenant as declared in a config file.
///
/// ```
/// let config = ews_mock::TenantConfig::from_toml(r#"
///     [[mailboxes]]
///     smtp = "ann@example.com"
///     password = "secret"
/// "#).unwrap();
/// assert_eq!(config.mailboxes[0].smtp, "ann@example.com");
/// ```
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantConfig {
    /// Which Exchange the mock pretends to be.
    #[serde(default)]
    pub profile: ServerProfile,
    /// Users that own a mailbox.
    #[serde(default)]
    pub mailboxes: Vec<MailboxConfig>,
    /// Accounts without a mailbox (service accounts).
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    /// OAuth bearer tokens.
    #[serde(default)]
    pub tokens: Vec<TokenConfig>,
    /// A throttling budget per caller (`[throttling]`); none by default.
    #[serde(default)]
    pub throttling: Option<crate::throttle::ThrottlingPolicy>,
}

/// A user with a mailbox.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// Primary SMTP address.
    pub smtp: String,
    /// Display name; defaults to the address's local part.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Password for Basic sign-in; `None` means the owner cannot sign in.
    #[serde(default)]
    pub password: Option<String>,
    /// User principal name; defaults to the SMTP address.
    #[serde(default)]
    pub upn: Option<String>,
    /// Security identifier in SDDL form; derived from the address when absent.
    #[serde(default)]
    pub sid: Option<String>,
    /// Further SMTP (proxy) addresses that resolve to this mailbox.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Impersonation right held by this user (usually none).
    #[serde(default)]
    pub impersonation: Option<ImpersonationRight>,
}

/// An account without a mailbox, such as a service account.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// User principal name, also the sign-in name.
    pub upn: String,
    /// Password for Basic sign-in.
    pub password: String,
    /// Security identifier in SDDL form; derived from the UPN when absent.
    #[serde(default)]
    pub sid: Option<String>,
    /// Impersonation right held by this account.
    #[serde(default)]
    pub impersonation: Option<ImpersonationRight>,
}

/// An OAuth bearer token.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// The token string as sent in `Authorization: Bearer …`.
    pub token: String,
    /// App-only or delegated.
    pub kind: TokenKind,
    /// For app-only tokens: which mailboxes the app may impersonate.
    #[serde(default)]
    pub impersonation: Option<ImpersonationRight>,
    /// For delegated tokens: the signed-in user's address or UPN.
    #[serde(default)]
    pub user: Option<String>,
}

/// The two kinds of OAuth token Exchange Online distinguishes.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// App-only (`full_access_as_app`): the ExchangeImpersonation header is required.
    App,
    /// Delegated (a user's token): the ExchangeImpersonation header is forbidden.
    Delegated,
}

/// The ApplicationImpersonation role, over every mailbox or within a management scope.
///
/// In TOML: `impersonation = "all"` or `impersonation = ["a@example.com", …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImpersonationRight {
    /// Every mailbox of the tenant.
    All,
    /// A management scope holding exactly these mailboxes.
    Scope(Vec<String>),
}

impl<'de> Deserialize<'de> for ImpersonationRight {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ImpersonationRight;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("impersonation = \"all\" or a list of mailbox addresses")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "all" {
                    Ok(ImpersonationRight::All)
                } else {
                    Err(E::custom(format!("impersonation must be \"all\" or a list of mailbox addresses, not {v:?}")))
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    list.push(s);
                }
                Ok(ImpersonationRight::Scope(list))
            }
        }
        d.deserialize_any(V)
    }
}

impl TenantConfig {
    /// The embedded demo tenant (contoso.com), as documented in the README.
    pub fn demo() -> TenantConfig {
        TenantConfig::from_toml(DEMO_TENANT_TOML).expect("the embedded demo tenant is valid TOML")
    }

    /// Parses and checks a tenant declared in TOML.
    pub fn from_toml(text: &str) -> Result<TenantConfig, Error> {
        let config: TenantConfig = toml::from_str(text).map_err(|e| Error::Config(e.message().to_string()))?;
        Directory::new(&config)?;
        Ok(config)
    }
}

pub(crate) use crate::directory::{fnv128, fold, Directory, MailboxIdx, Right, TokenEntry};
