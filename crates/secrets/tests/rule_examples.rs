//! Runs the positive and negative examples embedded in every built-in rule.
//!
//! Each rule is checked alone (with the global allowlist), so a negative example proves the rule
//! itself refuses it; positives are also checked against the whole rule set, where another
//! rule may win the deduplication but the secret must still be reported.

use std::path::Path;

use vedette_secrets::{RuleFile, Ruleset, ScanOptions, Scanner};

/// A scanner running only `id` from the built-in set, plus the built-in allowlist.
fn single_rule_scanner(builtin: &Ruleset, id: &str) -> Scanner {
    let rule = builtin.get(id).cloned().expect("rule exists");
    let file = RuleFile {
        rules: vec![rule],
        allowlist: builtin.allowlist().clone(),
        ..RuleFile::default()
    };
    let mut set = Ruleset::default();
    set.merge(file).expect("merge one rule");
    Scanner::new(set, ScanOptions::default()).expect("rule compiles")
}

#[test]
fn every_rule_has_examples_and_they_pass() {
    let builtin = Ruleset::builtin().expect("built-in rules parse");
    let full = Scanner::new(builtin.clone(), ScanOptions::default()).expect("built-in compiles");
    let mut failures = Vec::new();
    for rule in builtin.rules() {
        if rule.examples.positive.is_empty() || rule.examples.negative.is_empty() {
            failures.push(format!("{}: needs positive and negative examples", rule.id));
            continue;
        }
        let scanner = single_rule_scanner(&builtin, &rule.id);
        let name = rule.examples.path.as_deref().unwrap_or("example.txt");
        let path = Path::new(name);
        for (i, text) in rule.examples.positive.iter().enumerate() {
            let found = scanner.scan_bytes(path, text.as_bytes());
            if !found.iter().any(|f| f.rule_id == rule.id) {
                failures.push(format!("{}: positive #{i} not found", rule.id));
            }
            if full.scan_bytes(path, text.as_bytes()).is_empty() {
                failures.push(format!(
                    "{}: positive #{i} not found by the full set",
                    rule.id
                ));
            }
        }
        for (i, text) in rule.examples.negative.iter().enumerate() {
            let found = scanner.scan_bytes(path, text.as_bytes());
            if found.iter().any(|f| f.rule_id == rule.id) {
                failures.push(format!("{}: negative #{i} matched", rule.id));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
