//! The case-mapping table both sides share: `tests/data/casemapping.json` is read here and
//! by the frontend's vitest (`casemap.test.ts`), so the browser compares nicks and channel
//! names exactly as the server folds them.

use irc_proto::CaseMapping;
use serde_json::Value;

#[test]
fn every_case_of_the_shared_table() {
    let table: Value = serde_json::from_str(include_str!("data/casemapping.json"))
        .expect("casemapping.json is JSON");
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    for case in cases {
        let name = case["mapping"].as_str().expect("mapping");
        let input = case["input"].as_str().expect("input");
        let folded = case["folded"].as_str().expect("folded");
        let mapping = CaseMapping::from_name_or_default(name);
        assert_eq!(mapping.fold(input), folded, "{name} {input}");
        if CaseMapping::from_name(name).is_some() {
            assert_eq!(mapping.name(), name, "the name the server sends");
        }
    }
}
