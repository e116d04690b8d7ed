//! Discovering golden cases: `fixtures/<op_snake>/<case>.{request,response}.xml` + `<case>.meta.toml`.
//!
//! A case is one request and the response Exchange gives to it. Its `meta.toml` says who sends it
//! and what must exist first (the format is documented in `fixtures/README.md`):
//!
//! ```toml
//! about = "GetItem of an appointment created in setup, IdOnly + Subject"
//! source = "msdocs ews__how-to-create-appointments-and-meetings…__03/04, adapted"
//! user = "svc-calendar@contoso.com"   # Basic; `password` defaults to "password"
//! # token = "app-token"               # or an OAuth bearer token instead of `user`
//! status = 200                        # the HTTP status of the golden response
//! setup = ["create_item/seed_appointment"]  # cases whose requests are sent first, in order
//! # inject = '{"…": …}'               # a fault rule for POST /_mock/faults (in-process mock only)
//! # request_valid = false             # the request breaks the EWS schema on purpose
//! ```
//!
//! Placeholders in a request are replaced before sending, from the setup responses taken in
//! order: `{{item:N}}` / `{{ck:N}}` are the `Id` / `ChangeKey` of the N-th `t:ItemId` in them
//! (1-based, document order), `{{folder:N}}` / `{{folderck:N}}` the same for `t:FolderId`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How a case authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP Basic.
    Basic {
        /// Sign-in name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// No `Authorization` header.
    None,
}

/// The parsed `<case>.meta.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// One line: what the case covers.
    pub about: String,
    /// Where the documents come from.
    pub source: String,
    /// Credentials to send.
    pub auth: Auth,
    /// The expected HTTP status.
    pub status: u16,
    /// Case ids (`op/name`) whose requests run first.
    pub setup: Vec<String>,
    /// A fault rule (JSON) to install through the mock's admin API before the request.
    pub inject: Option<String>,
    /// Whether the request is valid against the EWS schema (false for the schema-fault cases,
    /// and the schema test checks that they really are invalid).
    pub request_valid: bool,
}

/// The file format of `meta.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaFile {
    about: String,
    source: String,
    user: Option<String>,
    password: Option<String>,
    token: Option<String>,
    status: Option<u16>,
    #[serde(default)]
    setup: Vec<String>,
    inject: Option<String>,
    request_valid: Option<bool>,
}

/// One golden case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// `op_snake/case`, e.g. `create_item/seed_appointment`.
    pub id: String,
    /// The operation directory, e.g. `create_item` (faults live under `faults`).
    pub operation: String,
    /// The case name, e.g. `seed_appointment`.
    pub name: String,
    /// The request file.
    pub request: PathBuf,
    /// The golden response file (may not exist yet).
    pub response: PathBuf,
    /// How to send it.
    pub meta: Meta,
}

/// Why the fixtures could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// An I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// A bad `meta.toml`.
    #[error("{path}: {message}")]
    Meta {
        /// The path.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// `fixtures/client/`: the client's golden requests (`tests/client_goldens.rs`). They are not
/// request/response cases for the mock, so [`discover`] skips them.
pub const CLIENT_DIR: &str = "client";

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fixtures")
}

/// Every case under `dir`, sorted by id (except the client goldens in [`CLIENT_DIR`]).
pub fn discover(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CaseError::Io { path, source }
    };
    let mut cases = Vec::new();
    for op in std::fs::read_dir(dir).map_err(io(dir))? {
        let op = op.map_err(io(dir))?.path();
        if !op.is_dir() {
            continue;
        }
        let op_name = op.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if op_name == CLIENT_DIR {
            continue;
        }
        for file in std::fs::read_dir(&op).map_err(io(&op))? {
            let file = file.map_err(io(&op))?.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".request.xml"))
            else {
                continue;
            };
            let meta_path = op.join(format!("{name}.meta.toml"));
            let meta = read_meta(&meta_path)?;
            cases.push(Case {
                id: format!("{op_name}/{name}"),
                operation: op_name.clone(),
                name: name.to_string(),
                request: file.clone(),
                response: op.join(format!("{name}.response.xml")),
                meta,
            });
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(cases)
}

/// Reads and checks one `meta.toml`.
pub fn read_meta(path: &Path) -> Result<Meta, CaseError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| CaseError::Io { path: shown.clone(), source })?;
    parse_meta(&text).map_err(|message| CaseError::Meta { path: shown, message })
}

/// Parses the text of a `meta.toml`.
pub fn parse_meta(text: &str) -> Result<Meta, String> {
    let f: MetaFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let auth = match (f.user, f.token) {
        (Some(_), Some(_)) => return Err("give `user` or `token`, not both".into()),
        (Some(user), None) => Auth::Basic { user, password: f.password.unwrap_or_else(|| "password".into()) },
        (None, Some(token)) => Auth::Bearer(token),
        (None, None) => Auth::None,
    };
    Ok(Meta {
        about: f.about,
        source: f.source,
        auth,
        status: f.status.unwrap_or(200),
        setup: f.setup,
        inject: f.inject,
        request_valid: f.request_valid.unwrap_or(true),
    })
}

impl Case {
    /// The request as sent before placeholder substitution.
    pub fn request_text(&self) -> Result<String, CaseError> {
        std::fs::read_to_string(&self.request)
            .map_err(|source| CaseError::Io { path: self.request.display().to_string(), source })
    }
}

/// Replaces `{{item:N}}`, `{{ck:N}}`, `{{folder:N}}`, `{{folderck:N}}` in `request` with values
/// from the setup responses. Unknown or out-of-range placeholders are an error.
pub fn substitute(request: &str, setup_responses: &[String]) -> Result<String, String> {
    let mut items: Vec<(String, String)> = Vec::new();
    let mut folders: Vec<(String, String)> = Vec::new();
    for response in setup_responses {
        let doc = roxmltree::Document::parse(response).map_err(|e| format!("setup response is not XML: {e}"))?;
        for n in doc.descendants().filter(|n| n.is_element()) {
            let pair = || {
                (
                    n.attribute("Id").unwrap_or_default().to_string(),
                    n.attribute("ChangeKey").unwrap_or_default().to_string(),
                )
            };
            match n.tag_name().name() {
                "ItemId" => items.push(pair()),
                "FolderId" => folders.push(pair()),
                _ => {}
            }
        }
    }
    let mut out = String::with_capacity(request.len());
    let mut rest = request;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("unterminated {{ placeholder")?;
        let (kind, n) =
            after[..end].split_once(':').ok_or_else(|| format!("bad placeholder {{{{{}}}}}", &after[..end]))?;
        let n: usize = n.parse().map_err(|_| format!("bad placeholder number in {{{{{kind}:{n}}}}}"))?;
        let list = if kind.starts_with("folder") { &folders } else { &items };
        let (id, ck) = n
            .checked_sub(1)
            .and_then(|i| list.get(i))
            .ok_or_else(|| format!("{{{{{kind}:{n}}}}}: the setup responses have only {} such ids", list.len()))?;
        match kind {
            "item" | "folder" => out.push_str(id),
            "ck" | "folderck" => out.push_str(ck),
            other => return Err(format!("unknown placeholder kind `{other}`")),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_with_a_user_defaults_the_password_and_status() {
        let m = parse_meta("about = \"a\"\nsource = \"b\"\nuser = \"svc-calendar@contoso.com\"\n").expect("valid");
        assert_eq!(m.auth, Auth::Basic { user: "svc-calendar@contoso.com".into(), password: "password".into() });
        assert_eq!(m.status, 200);
    }

    #[test]
    fn meta_rejects_unknown_keys_and_double_credentials() {
        assert!(parse_meta("about = \"a\"\nsource = \"b\"\nusr = \"x\"\n").is_err());
        assert!(parse_meta("about = \"a\"\nsource = \"b\"\nuser = \"x\"\ntoken = \"y\"\n").is_err());
    }

    #[test]
    fn placeholders_take_ids_from_setup_responses_in_order() {
        let r1 = r#"<r xmlns:t="urn:t"><t:ItemId Id="A" ChangeKey="a"/><t:FolderId Id="F" ChangeKey="f"/></r>"#;
        let r2 = r#"<r><ItemId Id="B" ChangeKey="b"/></r>"#;
        let out = substitute(
            "<x I=\"{{item:2}}\" C=\"{{ck:1}}\" F=\"{{folder:1}}{{folderck:1}}\"/>",
            &[r1.into(), r2.into()],
        );
        assert_eq!(out.as_deref(), Ok("<x I=\"B\" C=\"a\" F=\"Ff\"/>"));
        assert!(substitute("{{item:3}}", &[r1.into()]).is_err());
        assert!(substitute("{{nope:1}}", &[r1.into()]).is_err());
    }
}
