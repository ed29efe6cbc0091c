//! Maven artifact versions, ordered as the POM reference's "Version Order
//! Specification" (<https://maven.apache.org/pom.html#version-order-specification>)
//! describes Maven's `ComparableVersion`.
//!
//! Hand-written: there is no maintained Rust port. The algorithm:
//! 1. split into tokens at `.` and `-` and at every transition between
//!    digits and other characters (a transition counts as `-`), remembering
//!    each token's separator; empty tokens become `0`; compare
//!    case-insensitively;
//! 2. aliases: `cr` = `rc`; `ga`, `final` and `release` = `""`; `a`, `b`
//!    and `m` directly followed by a digit mean `alpha`, `beta`, `milestone`;
//! 3. trailing "null" tokens (`0`, `""`) are trimmed from the end, and again
//!    before each remaining `-` (so `1.0-1.0 == 1-1`);
//! 4. compare token by token, padding the shorter version with nulls (`.0`
//!    or `-""`, matching the other side's separator). Numbers compare
//!    numerically and beat qualifiers; qualifiers order `alpha < beta <
//!    milestone < rc < snapshot < "" < sp < (others, alphabetically)`; a
//!    padding null compares like `""`; between two numbers `-number <
//!    .number`.
//!
//! One deliberate departure from the older text of the specification
//! (`.qualifier < -qualifier`): that rule is not transitive together with
//! padding (`9 < 9.m < 9-alpha < 9`). Maven 3.9's `ComparableVersion` reads
//! `.X` as `-X` for a qualifier `X`, and so does Vedette
//! (`.qualifier == -qualifier`), which restores a total order.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// Well-known qualifiers, oldest first; `""` is the release itself.
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    /// Digits without leading zeros (`""` is zero).
    Number(String),
    /// A lowercase qualifier after alias replacement.
    Qualifier(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    /// Whether the token was introduced by `-` (or a digit transition)
    /// rather than `.`.
    dash: bool,
    value: Value,
    /// Whether this is a null added to pad the shorter version.
    padding: bool,
}

impl Token {
    fn is_null(&self) -> bool {
        match &self.value {
            Value::Number(n) => n.is_empty(),
            Value::Qualifier(q) => q.is_empty(),
        }
    }

    /// The null token used to pad against `other`.
    fn null_like(other: &Token) -> Token {
        Token {
            dash: other.dash,
            value: if other.dash {
                Value::Qualifier(String::new())
            } else {
                Value::Number(String::new())
            },
            padding: true,
        }
    }
}

fn qualifier_rank(q: &str) -> usize {
    QUALIFIERS
        .iter()
        .position(|k| *k == q)
        .unwrap_or(QUALIFIERS.len())
}

fn cmp_qualifiers(a: &str, b: &str) -> Ordering {
    qualifier_rank(a)
        .cmp(&qualifier_rank(b))
        .then_with(|| a.cmp(b))
}

fn cmp_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for Token {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.value, &other.value) {
            // `-1 < .1`: the separator only matters between two numbers.
            (Value::Number(a), Value::Number(b)) => match (self.dash, other.dash) {
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                _ => cmp_numbers(a, b),
            },
            // Padding compares like the release qualifier `""`; a real
            // number is newer than any qualifier.
            (Value::Number(_), Value::Qualifier(b)) if self.padding => cmp_qualifiers("", b),
            (Value::Qualifier(a), Value::Number(_)) if other.padding => cmp_qualifiers(a, ""),
            (Value::Number(_), Value::Qualifier(_)) => Ordering::Greater,
            (Value::Qualifier(_), Value::Number(_)) => Ordering::Less,
            (Value::Qualifier(a), Value::Qualifier(b)) => cmp_qualifiers(a, b),
        }
    }
}

impl PartialOrd for Token {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
pub struct MavenVersion {
    original: String,
    tokens: Vec<Token>,
}

fn make_value(raw: &str, followed_by_digit: bool) -> Value {
    if raw.is_empty() {
        return Value::Number(String::new());
    }
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        return Value::Number(raw.trim_start_matches('0').to_string());
    }
    let q = match raw {
        "cr" => "rc",
        "ga" | "final" | "release" => "",
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        other => other,
    };
    Value::Qualifier(q.to_string())
}

fn tokenize(version: &str) -> Vec<Token> {
    let lower = version.to_ascii_lowercase();
    let mut tokens = Vec::new();
    let mut dash = false;
    for (i, part) in lower.split(['.', '-']).enumerate() {
        if i > 0 {
            // The separator before this part is the byte before it.
            let start = part.as_ptr() as usize - lower.as_ptr() as usize;
            dash = lower.as_bytes().get(start.wrapping_sub(1)) == Some(&b'-');
        }
        // Split the part at digit/non-digit transitions.
        let bytes = part.as_bytes();
        let mut start = 0;
        let mut first = true;
        for end in 1..=bytes.len() {
            let boundary = end == bytes.len()
                || bytes[end].is_ascii_digit() != bytes[end - 1].is_ascii_digit();
            if !boundary {
                continue;
            }
            let raw = &part[start..end];
            let followed_by_digit = end < bytes.len();
            tokens.push(Token {
                dash: if first { dash } else { true },
                value: make_value(raw, followed_by_digit),
                padding: false,
            });
            first = false;
            start = end;
        }
        if bytes.is_empty() {
            tokens.push(Token {
                dash,
                value: Value::Number(String::new()),
                padding: false,
            });
        }
    }
    trim_nulls(&mut tokens);
    tokens
}

/// Removes trailing nulls from the end and before each remaining `-`.
fn trim_nulls(tokens: &mut Vec<Token>) {
    let mut i = tokens.len().saturating_sub(1);
    // The first token is always kept so that every version has one.
    while i > 0 {
        if tokens[i].is_null() {
            tokens.remove(i);
            i -= 1;
            continue;
        }
        // Move to the token that starts this `-` group, then before it.
        while i > 0 && !tokens[i].dash {
            i -= 1;
        }
        if i == 0 {
            break;
        }
        i -= 1;
    }
}

impl FromStr for MavenVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::check_input(VersionScheme::Maven, s)?;
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(VersionError::new(
                VersionScheme::Maven,
                s,
                "whitespace in version",
            ));
        }
        Ok(MavenVersion {
            original: s.to_string(),
            tokens: tokenize(s),
        })
    }
}

impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.tokens.len().max(other.tokens.len());
        for i in 0..n {
            let ord = match (self.tokens.get(i), other.tokens.get(i)) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(a), None) => a.cmp(&Token::null_like(a)),
                (None, Some(b)) => Token::null_like(b).cmp(b),
                (None, None) => Ordering::Equal,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Maven;

    #[test]
    fn pom_reference_examples() {
        // The examples listed under "Version Order Specification".
        assert_all_equal(
            Maven,
            &[
                "1",
                "1.0",
                "1.0.0",
                "1-0",
                "1.ga",
                "1-ga",
                "1-final",
                "1.release",
            ],
        );
        assert_increasing(Maven, &["1-foo2", "1-foo10"]);
        assert_increasing(Maven, &["1-foo", "1-1", "1.1"]);
        // Maven 3.9: `.X` reads as `-X` for qualifiers.
        assert_all_equal(Maven, &["1.foo", "1-foo"]);
        assert_increasing(Maven, &["9-alpha", "9", "9.m"]);
        assert_all_equal(Maven, &["1-alpha1", "1-a1", "1alpha1"]);
        assert_all_equal(Maven, &["1-rc1", "1-cr1", "1.0-CR1"]);
        assert_increasing(Maven, &["1-sp", "1-whatever", "1.1"]);
        assert_increasing(Maven, &["1-snapshot", "1", "1-sp"]);
        assert_increasing(Maven, &["1-beta1", "1-beta1.5"]);
        assert_increasing(
            Maven,
            &[
                "1-alpha",
                "1-beta",
                "1-milestone",
                "1-rc",
                "1-snapshot",
                "1",
                "1-sp",
                "1-abc",
                "1.0.1",
            ],
        );
        assert_all_equal(Maven, &["1.0-1.0", "1-1"]);
        assert_all_equal(Maven, &["1.0.0-X", "1-x"]);
    }

    #[test]
    fn real_java_versions() {
        // log4j-core and Spring release trains.
        assert_increasing(
            Maven,
            &[
                "2.0-alpha1",
                "2.0-beta9",
                "2.0-rc1",
                "2.0",
                "2.3.1",
                "2.12.2",
                "2.14.1",
                "2.15.0",
                "2.16.0",
                "2.17.1",
            ],
        );
        assert_increasing(
            Maven,
            &["5.3.0.M1", "5.3.0.RC1", "5.3.0.RELEASE", "5.3.1.RELEASE"],
        );
        assert_increasing(Maven, &["1.0-SNAPSHOT", "1.0", "1.0.1-SNAPSHOT"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9]{1,2}([.-]([0-9]{1,2}|alpha|beta|rc|cr|ga|sp|final|snapshot|m|a|x[a-c]?)){0,4}"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Maven, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Maven, &a), Ok(()));
        }
    }
}
