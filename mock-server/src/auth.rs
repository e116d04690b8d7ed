//! HTTP authentication: Basic and Bearer, checked against the tenant's directory.
//!
//! Secrets are compared in constant time, and an unknown account costs the same comparison as a
//! wrong password, so neither the answer nor its timing tells whether an account exists.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::tenant::{Directory, Right, TokenEntry};

/// Who is calling, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Caller {
    /// A user or service account signed in with Basic auth (principal index).
    Basic(usize),
    /// An app-only OAuth token: must impersonate.
    App {
        /// The token, to name the caller in the journal.
        token: String,
        /// What it may impersonate.
        right: Right,
    },
    /// A delegated OAuth token of a user (principal index): must not impersonate.
    Delegated(usize),
}

impl Caller {
    /// A name for logs and the journal.
    pub(crate) fn name(&self, dir: &Directory) -> String {
        match self {
            Caller::Basic(p) | Caller::Delegated(p) => dir.principals[*p].name.clone(),
            Caller::App { token, .. } => format!("app:{}", redact(token)),
        }
    }
}

fn redact(token: &str) -> String {
    token.chars().take(4).chain("…".chars()).collect()
}

/// Compares two byte strings in time that depends only on their lengths.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0xff);
        diff |= usize::from(x ^ y);
    }
    diff == 0
}

/// Authenticates an `Authorization` header value; `None` means 401.
pub(crate) fn authenticate(dir: &Directory, authorization: Option<&str>) -> Option<Caller> {
    let value = authorization?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("Basic") {
        let decoded = STANDARD.decode(rest.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        // `DOMAIN\user` sign-in names are accepted for the user part, as IIS accepts them.
        let user = user.rsplit('\\').next().unwrap_or(user);
        let principal = dir.find_sign_in(user);
        let stored = principal.and_then(|p| dir.principals[p].password.as_deref());
        // Compare against a dummy when there is no such account, to keep timing uniform.
        let ok = ct_eq(password.as_bytes(), stored.unwrap_or("\u{0}no such account").as_bytes());
        match (ok, stored.is_some(), principal) {
            (true, true, Some(p)) => Some(Caller::Basic(p)),
            _ => None,
        }
    } else if scheme.eq_ignore_ascii_case("Bearer") {
        let token = rest.trim();
        let mut found = None;
        // Every token is compared, so timing does not tell which one nearly matched.
        for (known, entry) in &dir.tokens {
            if ct_eq(token.as_bytes(), known.as_bytes()) {
                found = Some((known, entry));
            }
        }
        found.map(|(known, entry)| match entry {
            TokenEntry::App(right) => Caller::App { token: known.clone(), right: right.clone() },
            TokenEntry::Delegated(p) => Caller::Delegated(*p),
        })
    } else {
        None
    }
}

/// The `WWW-Authenticate` challenges of a 401, as Exchange offers Basic and OAuth.
pub(crate) const CHALLENGES: [&str; 2] = [
    "Basic realm=\"ews-mock\"",
    "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", token_types=\"app_asserted_user_v1 service_asserted_app_v1\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\"",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::TenantConfig;

    fn basic(user: &str, password: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
    }

    #[test]
    fn basic_sign_in_by_address_and_password() {
        let dir = Directory::new(&TenantConfig::demo()).expect("demo");
        let caller = authenticate(&dir, Some(&basic("svc-calendar@contoso.com", "password")));
        assert!(matches!(caller, Some(Caller::Basic(_))));
        assert_eq!(authenticate(&dir, Some(&basic("svc-calendar@contoso.com", "wrong"))), None);
        assert_eq!(authenticate(&dir, Some(&basic("nobody@contoso.com", "password"))), None);
        assert_eq!(authenticate(&dir, None), None);
        assert_eq!(authenticate(&dir, Some("Basic !!!")), None);
    }

    #[test]
    fn bearer_tokens_resolve_to_app_or_delegated_callers() {
        let dir = Directory::new(&TenantConfig::demo()).expect("demo");
        assert!(matches!(authenticate(&dir, Some("Bearer app-token")), Some(Caller::App { .. })));
        assert!(matches!(authenticate(&dir, Some("bearer alfred-token")), Some(Caller::Delegated(_))));
        assert_eq!(authenticate(&dir, Some("Bearer app-token2")), None);
    }

    #[test]
    fn constant_time_compare_is_exact() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
        assert!(!ct_eq(b"", b"\xff"));
    }
}
