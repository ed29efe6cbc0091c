//! User rule files: adding rules, overriding built-ins by id, disabling ids, extra allowlist
//! entries, and clear errors for mistakes.

use std::path::Path;

use vedette_secrets::{RuleErrorKind, RuleFile, Ruleset, ScanOptions, Scanner, Severity};

use crate::util::Rng;

fn scan(set: Ruleset, text: &str) -> Vec<vedette_secrets::Finding> {
    Scanner::new(set, ScanOptions::default())
        .expect("scanner")
        .scan_bytes(Path::new("config.yml"), text.as_bytes())
}

#[test]
fn user_file_adds_overrides_and_disables() {
    let mut rng = Rng::new(21);
    let internal = format!("acme_{}", rng.base62(32));
    let stripe_test = format!("sk_test_{}", rng.base62(40));
    let github = rng.github("ghp");
    let text = format!("internal: {internal}\nstripe: {stripe_test}\ngithub: {github}\n");

    let user = RuleFile::from_toml(
        r#"
version = 1
disabled = ["github-pat-classic"]

[[rules]]
id = "acme-internal-token"
name = "ACME internal token"
severity = "high"
keywords = ["acme_"]
regex = '\b(acme_[0-9A-Za-z]{32})\b'
entropy = 3.5

[[rules]]
id = "stripe-test-secret-key"
name = "Stripe test key (we treat it as high)"
severity = "high"
keywords = ["sk_test_"]
regex = '\b(sk_test_[0-9A-Za-z]{24,99})\b'
"#,
    )
    .expect("valid user file");
    let mut set = Ruleset::builtin().expect("rules");
    let before = set.len();
    set.merge(user).expect("merge");
    assert_eq!(set.len(), before); // one added, one disabled, one replaced in place

    let found = scan(set, &text);
    let ids: Vec<(&str, u32, Severity)> = found
        .iter()
        .map(|f| (f.rule_id.as_str(), f.line, f.severity))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("acme-internal-token", 1, Severity::High),
            ("stripe-test-secret-key", 2, Severity::High)
        ]
    );
}

#[test]
fn user_allowlist_silences_values_and_paths() {
    let mut rng = Rng::new(22);
    let token = rng.github("ghp");
    let mut set = Ruleset::builtin().expect("rules");
    let user = RuleFile::from_toml(&format!(
        "[allowlist]\nvalues = [\"{token}\"]\npaths = [\"**/docs/**\"]\n"
    ))
    .expect("valid");
    set.merge(user).expect("merge");
    let scanner = Scanner::new(set, ScanOptions::default()).expect("scanner");
    let other = rng.github("ghp");
    let text = format!("a: {token}\nb: {other}\n");
    let found = scanner.scan_bytes(Path::new("src/ci.yml"), text.as_bytes());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 2);
    assert!(
        scanner
            .scan_bytes(Path::new("docs/guide/ci.yml"), text.as_bytes())
            .is_empty()
    );
}

#[test]
fn mistakes_are_reported_with_the_rule_id() {
    let err = RuleFile::from_toml(
        "[[rules]]\nid = \"Bad Id\"\nname = \"x\"\nseverity = \"low\"\nregex = 'x'\n",
    )
    .expect_err("bad id");
    assert!(err.to_string().contains("Bad Id"), "{err}");

    let err = RuleFile::from_toml(
        "[[rules]]\nid = \"x\"\nname = \"x\"\nseverity = \"urgent\"\nregex = 'x'\n",
    )
    .expect_err("bad severity");
    assert!(matches!(err.kind, RuleErrorKind::Parse(_)), "{err}");

    let err = RuleFile::from_toml("[[rules]]\nid = \"x\"\nname = \"x\"\nseverity = \"low\"\nregex = 'x'\nvalidator = \"luhn\"\n")
        .expect_err("bad validator");
    assert!(err.to_string().contains("luhn"), "{err}");

    let mut set = Ruleset::builtin().expect("rules");
    let err = set
        .merge(RuleFile::from_toml("disabled = [\"no-such-rule\"]").expect("parses"))
        .expect_err("unknown id");
    assert!(
        matches!(err.kind, RuleErrorKind::UnknownDisabledId),
        "{err}"
    );
    assert_eq!(err.rule_id.as_deref(), Some("no-such-rule"));

    let set = Ruleset::from_toml("[[rules]]\nid = \"x\"\nname = \"x\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = 'abc(['\n")
        .expect("parses");
    let err = Scanner::new(set, ScanOptions::default()).expect_err("bad regex");
    assert!(matches!(err.kind, RuleErrorKind::Regex(_)), "{err}");
    assert!(
        err.to_string().starts_with("rule `x`: invalid regex"),
        "{err}"
    );
}

#[test]
fn builtin_rule_set_is_large_and_well_formed() {
    let set = Ruleset::builtin().expect("rules");
    assert!(set.len() >= 150, "{} rules", set.len());
    for rule in set.rules() {
        assert!(
            !rule.description.is_empty(),
            "{} has no description",
            rule.id
        );
        assert!(
            !rule.keywords.is_empty() || !rule.paths.is_empty(),
            "{} runs on every file: give it keywords or paths",
            rule.id
        );
    }
}
