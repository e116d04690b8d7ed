//! Property tests (issue 6, item 5c, and the canonicaliser's invariants).
//!
//! - Any byte string, and any mutation of a fixture request, sent to the in-process mock gets a
//!   well-formed SOAP answer (HTTP 200 or 500 with a parseable SOAP 1.1 envelope with a Body), and
//!   the mock keeps serving: the seed request still succeeds afterwards.
//! - `canon(canon(d)) == canon(d)`, and `canon` ignores prefix choice and attribute order.
//!
//! Case counts are modest by default (the suite runs on 2 shared cores); raise them with
//! `PROPTEST_CASES=2000`. Failures are persisted in `proptest-regressions/` — commit them.

use std::sync::OnceLock;

use ews_conformance::oracle::{self, Http};
use ews_conformance::strategies::{arb_bytes, arb_mutation, arb_respelling, mutate, respell};
use ews_conformance::{canon, discover, fixtures_dir, Auth};
use ews_mock::MockEws;
use proptest::prelude::*;

const SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// One mock and one client for all cases of this binary (never dropped: the process ends).
fn server() -> &'static (MockEws, Http) {
    static SERVER: OnceLock<(MockEws, Http)> = OnceLock::new();
    SERVER.get_or_init(|| (oracle::start_mock(), Http::new()))
}

/// Every fixture document: (path, text), requests and responses.
fn fixture_docs() -> &'static Vec<(String, String)> {
    static DOCS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut docs = Vec::new();
        for case in discover(&fixtures_dir()).expect("fixtures/ can be read") {
            for path in [&case.request, &case.response] {
                if let Ok(text) = std::fs::read_to_string(path) {
                    docs.push((path.display().to_string(), text));
                }
            }
        }
        docs
    })
}

/// Well-formed fixture requests with their credentials.
fn fixture_requests() -> &'static Vec<(String, Auth, Vec<u8>)> {
    static REQS: OnceLock<Vec<(String, Auth, Vec<u8>)>> = OnceLock::new();
    REQS.get_or_init(|| {
        discover(&fixtures_dir())
            .expect("fixtures/ can be read")
            .into_iter()
            .filter_map(|c| Some((c.id.clone(), c.meta.auth.clone(), std::fs::read(&c.request).ok()?)))
            .collect()
    })
}

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    // Integration tests have no lib.rs beside them, so name the regressions file explicitly
    // (relative to the crate directory, where cargo runs tests). Commit it.
    let persistence = proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/properties.txt");
    ProptestConfig { cases, failure_persistence: Some(Box::new(persistence)), ..ProptestConfig::default() }
}

fn svc() -> Auth {
    Auth::Basic { user: "svc-calendar@contoso.com".into(), password: "password".into() }
}

/// Sends a body and checks the answer is a well-formed SOAP envelope with status 200 or 500.
fn assert_soap_answer(auth: &Auth, body: Vec<u8>) -> Result<(), TestCaseError> {
    let (mock, http) = server();
    let reply = http.post(&mock.ews_url(), auth, body).map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
    prop_assert!(reply.status == 200 || reply.status == 500, "HTTP {}: {}", reply.status, reply.body);
    let doc = roxmltree::Document::parse(&reply.body)
        .map_err(|e| TestCaseError::fail(format!("answer is not XML ({e}): {}", reply.body)))?;
    let root = doc.root_element();
    prop_assert!(root.has_tag_name((SOAP, "Envelope")), "root is not a SOAP 1.1 Envelope: {}", reply.body);
    prop_assert!(root.children().any(|c| c.has_tag_name((SOAP, "Body"))), "no s:Body: {}", reply.body);
    if reply.status == 500 {
        prop_assert!(reply.body.contains("Fault>"), "HTTP 500 without a SOAP fault: {}", reply.body);
    }
    Ok(())
}

/// The mock still serves: the seed request is answered with Success.
fn assert_still_serving() -> Result<(), TestCaseError> {
    let (mock, http) = server();
    let seed = std::fs::read(fixtures_dir().join("create_item/seed_appointment.request.xml")).expect("seed fixture");
    let reply = http.post(&mock.ews_url(), &svc(), seed).map_err(|e| TestCaseError::fail(format!("mock down: {e}")))?;
    prop_assert_eq!(reply.status, 200);
    prop_assert!(reply.body.contains("ResponseClass=\"Success\""), "{}", reply.body);
    Ok(())
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn any_byte_string_gets_a_soap_answer_and_the_mock_keeps_serving(body in arb_bytes()) {
        assert_soap_answer(&svc(), body)?;
        assert_still_serving()?;
    }

    #[test]
    fn any_mutation_of_a_fixture_request_gets_a_soap_answer(
        index in any::<prop::sample::Index>(),
        mutations in arb_mutation(),
    ) {
        let requests = fixture_requests();
        let (_id, auth, original) = &requests[index.index(requests.len())];
        assert_soap_answer(auth, mutate(original, &mutations))?;
        assert_still_serving()?;
    }
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn canon_ignores_prefix_choice_and_attribute_order(
        index in any::<prop::sample::Index>(),
        spelling in arb_respelling(),
    ) {
        let docs = fixture_docs();
        let (path, text) = &docs[index.index(docs.len())];
        let Ok(expected) = canon(text) else {
            return Err(TestCaseError::reject("not well-formed on purpose"));
        };
        let respelled = respell(text, &spelling).expect("a well-formed document can be respelled");
        let actual = canon(&respelled).map_err(|e| TestCaseError::fail(format!("{path}: respelling broke it: {e}\n{respelled}")))?;
        prop_assert_eq!(actual, expected, "{}", path);
    }

    #[test]
    fn canon_is_idempotent_on_respelled_fixtures(
        index in any::<prop::sample::Index>(),
        spelling in arb_respelling(),
    ) {
        let docs = fixture_docs();
        let (_, text) = &docs[index.index(docs.len())];
        let Some(respelled) = respell(text, &spelling) else {
            return Err(TestCaseError::reject("not well-formed on purpose"));
        };
        let once = canon(&respelled).expect("respelled XML is well-formed");
        prop_assert_eq!(canon(&once).expect("canonical XML is well-formed"), once);
    }
}

#[test]
fn canon_is_idempotent_on_every_fixture() {
    for (path, text) in fixture_docs() {
        if let Ok(once) = canon(text) {
            assert_eq!(canon(&once).expect("canonical XML re-parses"), once, "{path}");
        }
    }
}
