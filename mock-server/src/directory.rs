//! The directory: a tenant resolved for the request path — who can sign in, which ConnectingSID
//! names which mailbox, and who may impersonate whom. Built once from a [`TenantConfig`] and read
//! without locks.

use std::collections::HashMap;

use crate::profile::ServerProfile;
use crate::tenant::{ImpersonationRight, TenantConfig, TokenKind};
use crate::Error;

/// A mailbox's index in the tenant; stable for the tenant's life.
pub(crate) type MailboxIdx = u32;

/// A principal that can be named in a ConnectingSID or sign in.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// Primary SMTP address (mailbox users) or UPN (accounts), as configured.
    pub(crate) name: String,
    /// User principal name.
    pub(crate) upn: String,
    /// SID in SDDL form.
    pub(crate) sid: String,
    /// Password for Basic sign-in, if any.
    pub(crate) password: Option<String>,
    /// The principal's own mailbox, if it has one.
    pub(crate) mailbox: Option<MailboxIdx>,
    /// What the principal may impersonate.
    pub(crate) right: Right,
}

/// An impersonation right after resolution to mailbox indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Right {
    /// No impersonation at all.
    None,
    /// Every mailbox.
    All,
    /// Only these mailboxes.
    Scope(Vec<MailboxIdx>),
}

impl Right {
    pub(crate) fn covers(&self, mailbox: MailboxIdx) -> bool {
        match self {
            Right::None => false,
            Right::All => true,
            Right::Scope(list) => list.contains(&mailbox),
        }
    }
}

/// A mailbox's identity.
#[derive(Debug, Clone)]
pub(crate) struct MailboxInfo {
    /// Primary SMTP address as configured.
    pub(crate) smtp: String,
    /// Display name.
    pub(crate) display_name: String,
    /// The mailbox GUID embedded in item ids, in "D" format.
    pub(crate) guid: String,
    /// The owner's index in [`Directory::principals`].
    pub(crate) owner: usize,
}

/// The resolved, read-only view of a tenant used on the request path.
#[derive(Debug, Clone)]
pub(crate) struct Directory {
    pub(crate) profile: ServerProfile,
    pub(crate) principals: Vec<Principal>,
    pub(crate) mailboxes: Vec<MailboxInfo>,
    /// Bearer token → (kind, principal index for delegated, right for app).
    pub(crate) tokens: HashMap<String, TokenEntry>,
    by_upn: HashMap<String, usize>,
    by_sid: HashMap<String, usize>,
    by_primary: HashMap<String, usize>,
    by_smtp: HashMap<String, usize>,
    by_guid: HashMap<String, MailboxIdx>,
}

/// A resolved bearer token.
#[derive(Debug, Clone)]
pub(crate) enum TokenEntry {
    App(Right),
    Delegated(usize),
}

/// Lower-cases ASCII only: Exchange compares addresses case-insensitively, but a look-alike
/// Unicode address must not fold onto a real one.
pub(crate) fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

impl Directory {
    pub(crate) fn new(config: &TenantConfig) -> Result<Directory, Error> {
        let mut dir = Directory {
            profile: config.profile,
            principals: Vec::new(),
            mailboxes: Vec::new(),
            tokens: HashMap::new(),
            by_upn: HashMap::new(),
            by_sid: HashMap::new(),
            by_primary: HashMap::new(),
            by_smtp: HashMap::new(),
            by_guid: HashMap::new(),
        };
        for (i, m) in config.mailboxes.iter().enumerate() {
            let idx = MailboxIdx::try_from(i).map_err(|_| Error::Config("too many mailboxes".into()))?;
            let p = dir.principals.len();
            let upn = m.upn.clone().unwrap_or_else(|| m.smtp.clone());
            let guid = mailbox_guid(&m.smtp);
            dir.mailboxes.push(MailboxInfo {
                smtp: m.smtp.clone(),
                display_name: m.display_name.clone().unwrap_or_else(|| local_part(&m.smtp)),
                guid: guid.clone(),
                owner: p,
            });
            dir.by_guid.insert(guid, idx);
            dir.index(&m.smtp, "address", p, IndexKind::Primary)?;
            for alias in &m.aliases {
                dir.index(alias, "address", p, IndexKind::Alias)?;
            }
            dir.principals.push(Principal {
                name: m.smtp.clone(),
                sid: m.sid.clone().unwrap_or_else(|| derived_sid(&upn)),
                upn,
                password: m.password.clone(),
                mailbox: Some(idx),
                right: Right::None,
            });
        }
        for a in &config.accounts {
            dir.principals.push(Principal {
                name: a.upn.clone(),
                upn: a.upn.clone(),
                sid: a.sid.clone().unwrap_or_else(|| derived_sid(&a.upn)),
                password: Some(a.password.clone()),
                mailbox: None,
                right: Right::None,
            });
        }
        // Rights refer to mailboxes, so they resolve once every mailbox is known.
        let rights: Vec<Option<&ImpersonationRight>> = config
            .mailboxes
            .iter()
            .map(|m| m.impersonation.as_ref())
            .chain(config.accounts.iter().map(|a| a.impersonation.as_ref()))
            .collect();
        for (p, right) in rights.into_iter().enumerate() {
            let resolved = dir.resolve_right(right)?;
            dir.principals[p].right = resolved;
        }
        for p in 0..dir.principals.len() {
            let (upn, sid) = (dir.principals[p].upn.clone(), dir.principals[p].sid.clone());
            dir.index(&upn, "UPN", p, IndexKind::Upn)?;
            dir.index(&sid, "SID", p, IndexKind::Sid)?;
        }
        for t in &config.tokens {
            let entry = match t.kind {
                TokenKind::App => TokenEntry::App(dir.resolve_right(t.impersonation.as_ref())?),
                TokenKind::Delegated => {
                    let user = t
                        .user
                        .as_deref()
                        .ok_or_else(|| Error::Config(format!("delegated token {:?} needs `user`", t.token)))?;
                    let p = dir
                        .find_sign_in(user)
                        .ok_or_else(|| Error::Config(format!("token {:?} names unknown user {user:?}", t.token)))?;
                    TokenEntry::Delegated(p)
                }
            };
            if dir.tokens.insert(t.token.clone(), entry).is_some() {
                return Err(Error::Config(format!("token {:?} is declared twice", t.token)));
            }
        }
        Ok(dir)
    }

    fn resolve_right(&self, right: Option<&ImpersonationRight>) -> Result<Right, Error> {
        Ok(match right {
            None => Right::None,
            Some(ImpersonationRight::All) => Right::All,
            Some(ImpersonationRight::Scope(list)) => {
                let mut scope = Vec::new();
                for smtp in list {
                    let mb = self
                        .mailbox_by_smtp(smtp)
                        .ok_or_else(|| Error::Config(format!("impersonation scope names unknown mailbox {smtp:?}")))?;
                    scope.push(mb);
                }
                Right::Scope(scope)
            }
        })
    }

    fn index(&mut self, key: &str, what: &str, p: usize, kind: IndexKind) -> Result<(), Error> {
        let key = fold(key.trim());
        if key.is_empty() {
            return Err(Error::Config(format!("an empty {what} is not allowed")));
        }
        let map = match kind {
            IndexKind::Upn => &mut self.by_upn,
            IndexKind::Sid => &mut self.by_sid,
            IndexKind::Primary | IndexKind::Alias => &mut self.by_smtp,
        };
        if let Some(&other) = map.get(&key) {
            if other != p {
                return Err(Error::Config(format!("the {what} {key:?} is used twice")));
            }
        }
        map.insert(key.clone(), p);
        if kind == IndexKind::Primary {
            self.by_primary.insert(key, p);
        }
        Ok(())
    }

    /// Finds a principal by sign-in name: primary SMTP address or UPN.
    pub(crate) fn find_sign_in(&self, name: &str) -> Option<usize> {
        let key = fold(name);
        self.by_primary.get(&key).or_else(|| self.by_upn.get(&key)).copied()
    }

    pub(crate) fn by_upn(&self, upn: &str) -> Option<usize> {
        self.by_upn.get(&fold(upn)).copied()
    }

    pub(crate) fn by_sid(&self, sid: &str) -> Option<usize> {
        self.by_sid.get(&fold(sid)).copied()
    }

    pub(crate) fn by_primary_smtp(&self, smtp: &str) -> Option<usize> {
        self.by_primary.get(&fold(smtp)).copied()
    }

    pub(crate) fn by_any_smtp(&self, smtp: &str) -> Option<usize> {
        self.by_smtp.get(&fold(smtp)).copied()
    }

    /// The mailbox an address (primary or alias) belongs to.
    pub(crate) fn mailbox_by_smtp(&self, smtp: &str) -> Option<MailboxIdx> {
        self.by_any_smtp(smtp).and_then(|p| self.principals[p].mailbox)
    }

    /// The mailbox whose GUID an id embeds.
    pub(crate) fn mailbox_by_guid(&self, guid: &str) -> Option<MailboxIdx> {
        self.by_guid.get(guid).copied()
    }

    pub(crate) fn mailbox(&self, idx: MailboxIdx) -> &MailboxInfo {
        &self.mailboxes[idx as usize]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexKind {
    Upn,
    Sid,
    Primary,
    Alias,
}

fn local_part(smtp: &str) -> String {
    smtp.split('@').next().unwrap_or(smtp).to_string()
}

/// FNV-1a over 128 bits: a stable, dependency-free hash for deriving GUIDs and SIDs from names.
pub(crate) fn fnv128(data: &[u8]) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in data {
        h ^= u128::from(*b);
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}

/// A mailbox GUID derived from its address, so ids are the same on every run.
fn mailbox_guid(smtp: &str) -> String {
    let h = fnv128(format!("ews-mock mailbox {}", fold(smtp)).as_bytes()).to_be_bytes();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        u32::from_be_bytes([h[0], h[1], h[2], h[3]]),
        u16::from_be_bytes([h[4], h[5]]),
        u16::from_be_bytes([h[6], h[7]]) & 0x0fff,
        (u16::from_be_bytes([h[8], h[9]]) & 0x3fff) | 0x8000,
        u64::from_be_bytes([0, 0, h[10], h[11], h[12], h[13], h[14], h[15]]),
    )
}

fn derived_sid(upn: &str) -> String {
    let h = fnv128(format!("ews-mock sid {}", fold(upn)).as_bytes());
    let rid = 2000 + (h % 1_000_000) as u32;
    format!("S-1-5-21-1493619105-1843311271-3936346804-{rid}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::TenantConfig;

    #[test]
    fn demo_tenant_has_the_documented_accounts_and_rights() {
        let dir = Directory::new(&TenantConfig::demo()).expect("demo tenant resolves");
        assert_eq!(dir.mailboxes.len(), 3);
        let svc = dir.find_sign_in("svc-calendar@contoso.com").expect("svc-calendar exists");
        assert_eq!(dir.principals[svc].right, Right::All);
        assert_eq!(dir.principals[svc].mailbox, None);
        let sales = dir.find_sign_in("SVC-SALES@contoso.com").expect("case-insensitive");
        let sonya = dir.mailbox_by_smtp("sonyaf@contoso.com").expect("sonya exists");
        assert_eq!(dir.principals[sales].right, Right::Scope(vec![sonya]));
        let alfred = dir.find_sign_in("alfred@contoso.com").expect("alfred exists");
        assert_eq!(dir.principals[alfred].right, Right::None);
        assert!(matches!(dir.tokens["app-token"], TokenEntry::App(Right::All)));
        assert!(matches!(dir.tokens["alfred-token"], TokenEntry::Delegated(p) if p == alfred));
    }

    #[test]
    fn scope_naming_an_unknown_mailbox_is_a_config_error() {
        let err = TenantConfig::from_toml(
            "[[accounts]]\nupn = \"svc@x.com\"\npassword = \"p\"\nimpersonation = [\"nobody@x.com\"]",
        )
        .expect_err("unknown mailbox in scope");
        assert!(err.to_string().contains("nobody@x.com"), "{err}");
    }

    #[test]
    fn impersonation_keyword_other_than_all_is_rejected() {
        let err = TenantConfig::from_toml(
            "[[accounts]]\nupn = \"svc@x.com\"\npassword = \"p\"\nimpersonation = \"everyone\"",
        )
        .expect_err("bad keyword");
        assert!(err.to_string().contains("impersonation"), "{err}");
    }

    #[test]
    fn mailbox_guids_are_stable_and_distinct() {
        assert_eq!(mailbox_guid("a@x.com"), mailbox_guid("A@X.COM"));
        assert_ne!(mailbox_guid("a@x.com"), mailbox_guid("b@x.com"));
        assert_eq!(mailbox_guid("a@x.com").len(), 36);
    }
}
