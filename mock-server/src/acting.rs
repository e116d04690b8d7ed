//! Which mailbox a request acts as: the impersonation rules.
//!
//! - With an `ExchangeImpersonation` header, the ConnectingSID must name a user with a mailbox
//!   (else ErrorNonExistentMailbox) that the caller's ApplicationImpersonation right covers
//!   (else ErrorImpersonateUserDenied). App-only tokens must send the header; delegated tokens
//!   must not (ErrorInvalidExchangeImpersonationHeaderData, with Exchange Online's texts).
//! - Without it, the caller acts as itself; an account without a mailbox acts as no mailbox, and
//!   operations that need one answer ErrorMissingEmailAddress.
//!
//! All of these are SOAP faults (HTTP 500), checked before anything is written.
//! See `../shared/protocol/protocol.md` §3.2.

use crate::auth::Caller;
use crate::fault::{Fault, MessageXml};
use crate::response_code::ResponseCode;
use crate::soap::ConnectingSid;
use crate::tenant::{Directory, MailboxIdx};

/// The identity a request runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Acting {
    /// The mailbox acted as, if any.
    pub(crate) mailbox: Option<MailboxIdx>,
    /// Whether it was reached through impersonation.
    pub(crate) impersonated: bool,
}

/// Applies the impersonation rules.
pub(crate) fn resolve(dir: &Directory, caller: &Caller, header: Option<&ConnectingSid>) -> Result<Acting, Fault> {
    let Some(sid) = header else {
        return match caller {
            Caller::Basic(p) | Caller::Delegated(p) => {
                Ok(Acting { mailbox: dir.principals[*p].mailbox, impersonated: false })
            }
            Caller::App { .. } => Err(Fault::with_text(
                ResponseCode::ErrorInvalidExchangeImpersonationHeaderData,
                "ExchangeImpersonation SOAP header must be present for this type of OAuth token.",
            )),
        };
    };
    let right = match caller {
        Caller::Basic(p) => &dir.principals[*p].right,
        Caller::App { right, .. } => right,
        Caller::Delegated(_) => {
            return Err(Fault::with_text(
                ResponseCode::ErrorInvalidExchangeImpersonationHeaderData,
                "ExchangeImpersonation SOAP header must not exist for this type of OAuth token.",
            ))
        }
    };
    // XML whitespace around the value is tolerated; anything else must match exactly (ASCII
    // case aside), so look-alike Unicode addresses never resolve to a real mailbox.
    // Only XML's own whitespace: `str::trim` would also strip NBSP and other Unicode spaces.
    let value = sid.value().trim_matches([' ', '\t', '\r', '\n']);
    let principal = match sid {
        ConnectingSid::PrincipalName(_) => dir.by_upn(value),
        ConnectingSid::Sid(_) => dir.by_sid(value),
        ConnectingSid::PrimarySmtpAddress(_) => dir.by_primary_smtp(value),
        ConnectingSid::SmtpAddress(_) => dir.by_any_smtp(value),
    };
    let Some(mailbox) = principal.and_then(|p| dir.principals[p].mailbox) else {
        return Err(non_existent_mailbox(sid, value));
    };
    if !right.covers(mailbox) {
        return Err(Fault::new(ResponseCode::ErrorImpersonateUserDenied));
    }
    Ok(Acting { mailbox: Some(mailbox), impersonated: true })
}

fn non_existent_mailbox(sid: &ConnectingSid, value: &str) -> Fault {
    let name = match sid {
        ConnectingSid::PrincipalName(_) => "PrincipalName",
        ConnectingSid::Sid(_) => "SID",
        ConnectingSid::PrimarySmtpAddress(_) | ConnectingSid::SmtpAddress(_) => "SmtpAddress",
    };
    // Exchange's text names SMTP addresses; for UPN and SID forms the same code is returned.
    Fault::with_text(ResponseCode::ErrorNonExistentMailbox, "The SMTP address has no mailbox associated with it.")
        .message_xml(MessageXml::Values(vec![(name.to_string(), value.to_string())]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::TenantConfig;

    fn dir() -> Directory {
        Directory::new(&TenantConfig::demo()).expect("demo")
    }

    fn basic(dir: &Directory, name: &str) -> Caller {
        Caller::Basic(dir.find_sign_in(name).expect("known"))
    }

    fn code(r: Result<Acting, Fault>) -> Option<ResponseCode> {
        r.err().and_then(|f| f.response_code())
    }

    #[test]
    fn svc_calendar_impersonates_every_form_of_connecting_sid() {
        let d = dir();
        let svc = basic(&d, "svc-calendar@contoso.com");
        let alfred = d.mailbox_by_smtp("alfred@contoso.com");
        for sid in [
            ConnectingSid::SmtpAddress("ALFRED@contoso.com".into()),
            ConnectingSid::PrimarySmtpAddress(" alfred@contoso.com\n".into()),
            ConnectingSid::PrincipalName("alfred@contoso.com".into()),
            ConnectingSid::Sid("S-1-5-21-1493619105-1843311271-3936346804-1118".into()),
        ] {
            let acting = resolve(&d, &svc, Some(&sid)).expect("allowed");
            assert_eq!(acting.mailbox, alfred, "{sid:?}");
        }
    }

    #[test]
    fn svc_sales_is_limited_to_its_scope() {
        let d = dir();
        let sales = basic(&d, "svc-sales@contoso.com");
        assert!(resolve(&d, &sales, Some(&ConnectingSid::SmtpAddress("sonyaf@contoso.com".into()))).is_ok());
        let denied = resolve(&d, &sales, Some(&ConnectingSid::SmtpAddress("alfred@contoso.com".into())));
        assert_eq!(code(denied), Some(ResponseCode::ErrorImpersonateUserDenied));
    }

    #[test]
    fn plain_users_may_not_impersonate_and_unknown_targets_do_not_exist() {
        let d = dir();
        let chris = basic(&d, "chris@contoso.com");
        let r = resolve(&d, &chris, Some(&ConnectingSid::SmtpAddress("alfred@contoso.com".into())));
        assert_eq!(code(r), Some(ResponseCode::ErrorImpersonateUserDenied));
        let svc = basic(&d, "svc-calendar@contoso.com");
        for missing in ["nobody@contoso.com", "alfréd@contoso.com", "svc-sales@contoso.com"] {
            let r = resolve(&d, &svc, Some(&ConnectingSid::SmtpAddress(missing.into())));
            assert_eq!(code(r), Some(ResponseCode::ErrorNonExistentMailbox), "{missing}");
        }
    }

    #[test]
    fn oauth_token_kinds_require_or_forbid_the_header() {
        let d = dir();
        let app = crate::auth::authenticate(&d, Some("Bearer app-token")).expect("app");
        let delegated = crate::auth::authenticate(&d, Some("Bearer alfred-token")).expect("delegated");
        let sid = ConnectingSid::SmtpAddress("chris@contoso.com".into());
        assert_eq!(code(resolve(&d, &app, None)), Some(ResponseCode::ErrorInvalidExchangeImpersonationHeaderData));
        assert!(resolve(&d, &app, Some(&sid)).is_ok());
        assert_eq!(
            code(resolve(&d, &delegated, Some(&sid))),
            Some(ResponseCode::ErrorInvalidExchangeImpersonationHeaderData)
        );
        assert_eq!(resolve(&d, &delegated, None).expect("self").mailbox, d.mailbox_by_smtp("alfred@contoso.com"));
    }
}
