//! Alpine (and Wolfi/Chainguard) apk package versions.
//!
//! Hand-written: no maintained crate implements apk ordering. The format,
//! inherited from Gentoo, is
//! `N(.N)*[letter](_suffix[N])*[~hash][-rN]`, for example `1.2.3b_rc2-r1`.
//!
//! Ordering (apk-tools `version.c`, Gentoo PMS §3.3):
//! 1. the first number compares numerically; further numbers too, unless one
//!    of them starts with `0`, then they compare as decimal fractions
//!    (string order with trailing zeros removed, so `1.01 < 1.1`);
//!    more numbers is newer (`1.2 < 1.2.0`);
//! 2. the optional letter (`1.2 < 1.2a < 1.2b`);
//! 3. suffixes in turn: `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn
//!    < _git < _hg < _p`, then their numbers; an extra suffix makes the
//!    version older when it is a pre-release suffix, newer otherwise;
//! 4. the `~hash` commit id is ignored for ordering;
//! 5. the package revision `-rN` (missing is `-r0`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// Pre-release suffixes, oldest first (all older than no suffix).
const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
/// Post-release suffixes, oldest first (all newer than no suffix).
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// A parsed apk version.
#[derive(Debug, Clone)]
pub struct ApkVersion {
    original: String,
    /// Number components as written (digits only).
    numbers: Vec<String>,
    letter: Option<u8>,
    /// (rank, number): rank < 0 for pre-release suffixes, > 0 for post.
    suffixes: Vec<(i8, u64)>,
    revision: u64,
}

fn suffix_rank(name: &str) -> Option<i8> {
    if let Some(i) = PRE_SUFFIXES.iter().position(|s| *s == name) {
        return Some(i as i8 - PRE_SUFFIXES.len() as i8);
    }
    POST_SUFFIXES
        .iter()
        .position(|s| *s == name)
        .map(|i| i as i8 + 1)
}

impl FromStr for ApkVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(VersionScheme::Apk, s, reason);
        super::check_input(VersionScheme::Apk, s)?;
        // Split off `-rN` first.
        let (main, revision) = match s.rsplit_once("-r") {
            Some((main, rev)) if !rev.is_empty() && rev.bytes().all(|b| b.is_ascii_digit()) => {
                (main, rev.parse().map_err(|_| err("revision out of range"))?)
            }
            _ => (s, 0),
        };
        // The `~hash` commit id does not take part in ordering.
        let main = match main.split_once('~') {
            Some((m, hash)) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()) => m,
            Some(_) => return Err(err("invalid commit hash")),
            None => main,
        };
        let (head, suffix_text) = match main.split_once('_') {
            Some((h, rest)) => (h, Some(rest)),
            None => (main, None),
        };
        // Numbers, then an optional single lowercase letter.
        let (numbers_text, letter) = match head.as_bytes().last() {
            Some(c) if c.is_ascii_lowercase() => (&head[..head.len() - 1], Some(*c)),
            _ => (head, None),
        };
        let numbers: Vec<String> = numbers_text.split('.').map(str::to_string).collect();
        if numbers
            .iter()
            .any(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(err("expected dot-separated numbers"));
        }
        let mut suffixes = Vec::new();
        if let Some(text) = suffix_text {
            for part in text.split('_') {
                let digits_at = part
                    .find(|c: char| c.is_ascii_digit())
                    .unwrap_or(part.len());
                let (name, num) = part.split_at(digits_at);
                let rank = suffix_rank(name).ok_or_else(|| err("unknown suffix"))?;
                let num = if num.is_empty() {
                    0
                } else if num.bytes().all(|b| b.is_ascii_digit()) {
                    num.parse().map_err(|_| err("suffix number out of range"))?
                } else {
                    return Err(err("invalid suffix number"));
                };
                suffixes.push((rank, num));
            }
        }
        Ok(ApkVersion {
            original: s.to_string(),
            numbers,
            letter,
            suffixes,
            revision,
        })
    }
}

impl fmt::Display for ApkVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

/// Compares two digit strings as numbers (any length, no overflow).
fn cmp_digits(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares number components after the first, Gentoo style.
fn cmp_component(a: &str, b: &str) -> Ordering {
    if a.starts_with('0') || b.starts_with('0') {
        a.trim_end_matches('0').cmp(b.trim_end_matches('0'))
    } else {
        cmp_digits(a, b)
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.numbers, &other.numbers);
        let first = cmp_digits(&a[0], &b[0]);
        if first != Ordering::Equal {
            return first;
        }
        for (x, y) in a.iter().zip(b.iter()).skip(1) {
            let ord = cmp_component(x, y);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        let ord = a
            .len()
            .cmp(&b.len())
            .then_with(|| self.letter.cmp(&other.letter));
        if ord != Ordering::Equal {
            return ord;
        }
        for (x, y) in self.suffixes.iter().zip(other.suffixes.iter()) {
            let ord = x.cmp(y);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        // An extra suffix: pre-release ones make the version older.
        let (ls, rs) = (self.suffixes.len(), other.suffixes.len());
        let ord = match ls.cmp(&rs) {
            Ordering::Greater => self.suffixes[rs].0.cmp(&0),
            Ordering::Less => 0.cmp(&other.suffixes[ls].0),
            Ordering::Equal => Ordering::Equal,
        };
        ord.then_with(|| self.revision.cmp(&other.revision))
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Apk;

    #[test]
    fn numbers_letters_revisions() {
        assert_increasing(
            Apk,
            &[
                "1.2",
                "1.2-r1",
                "1.2.0",
                "1.2.3",
                "1.2.3a",
                "1.2.3b-r9",
                "1.2.10",
                "1.10",
            ],
        );
        assert_increasing(Apk, &["3.1.4-r5", "3.1.4-r10", "3.1.5-r0"]);
        assert_all_equal(Apk, &["1.2.3", "1.2.3-r0"]);
    }

    #[test]
    fn suffixes() {
        assert_increasing(
            Apk,
            &[
                "1.0_alpha",
                "1.0_alpha2",
                "1.0_beta",
                "1.0_pre1",
                "1.0_rc1",
                "1.0_rc1_p1",
                "1.0",
                "1.0_cvs",
                "1.0_git20230101",
                "1.0_p1",
                "1.0_p1-r1",
                "1.0a",
            ],
        );
        // Real Alpine versions (openssl, busybox, zlib).
        assert_increasing(
            Apk,
            &["3.1.0_alpha1-r0", "3.1.0-r0", "3.1.0-r1", "3.1.1-r0"],
        );
    }

    #[test]
    fn leading_zero_components_are_fractions() {
        assert_increasing(Apk, &["1.001", "1.01", "1.09", "1.1", "1.9", "1.10"]);
        assert_all_equal(Apk, &["1.010", "1.01"]);
    }

    #[test]
    fn commit_hash_is_ignored() {
        assert_all_equal(Apk, &["1.0_git20200101~abcdef0", "1.0_git20200101"]);
    }

    #[test]
    fn invalid() {
        assert_invalid(Apk, &["", "abc", "1..2", "1.0_foo", "1.0-beta", "1.0~xyz"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9]{1,3}(\\.[0-9]{1,3}){0,3}[a-c]?(_(alpha|beta|pre|rc|p|git)[0-9]{0,2}){0,2}(-r[0-9]{1,2})?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Apk, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Apk, &a), Ok(()));
        }
    }
}
