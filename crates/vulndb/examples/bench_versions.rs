//! Version comparison throughput per scheme.
//!
//! Run with `cargo run --release -p vedette-vulndb --example bench_versions`.
//! For each scheme it parses a set of typical versions, then compares every
//! pair repeatedly, and prints parses and comparisons per second. The
//! matcher compares pre-parsed versions, so comparisons/s is the figure that
//! bounds matching speed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use vedette_model::package::VersionScheme;
use vedette_vulndb::version::{SCHEMES, Version};

/// Typical versions of each scheme (shapes seen in real advisories).
fn samples(scheme: VersionScheme) -> Vec<String> {
    let mut out = Vec::new();
    for major in 0..4 {
        for minor in [0, 1, 9, 10, 27] {
            for patch in [0, 1, 15] {
                let v = match scheme {
                    VersionScheme::Dpkg => {
                        format!("{major}:{minor}.{patch}-{}+deb12u{patch}", minor % 3 + 1)
                    }
                    VersionScheme::Rpm => {
                        format!("{minor}.{patch}.{major}-{}.el9_{patch}", minor + 1)
                    }
                    VersionScheme::Apk => format!("{major}.{minor}.{patch}_rc{minor}-r{patch}"),
                    VersionScheme::Pep440 => {
                        format!("{major}.{minor}.{patch}rc{minor}.post{patch}")
                    }
                    VersionScheme::Npm | VersionScheme::Semver | VersionScheme::NuGet => {
                        format!("{major}.{minor}.{patch}-beta.{minor}")
                    }
                    VersionScheme::Go => {
                        format!("v{major}.{minor}.{patch}-0.20230101{minor:06}-abcdef012345")
                    }
                    VersionScheme::Maven => format!("{major}.{minor}.{patch}-RC{minor}"),
                    VersionScheme::RubyGems => format!("{major}.{minor}.{patch}.rc{minor}"),
                    VersionScheme::Composer => format!("v{major}.{minor}.{patch}-beta{minor}"),
                    _ => format!("{major}.{minor}.{patch}"),
                };
                out.push(v);
                out.push(format!("{major}.{minor}.{patch}"));
            }
        }
    }
    out
}

fn main() {
    println!(
        "{:<10} {:>14} {:>16}",
        "scheme", "parses/s", "comparisons/s"
    );
    for scheme in SCHEMES {
        let texts = samples(scheme);
        let start = Instant::now();
        let mut parses = 0u64;
        let mut parsed = Vec::new();
        while start.elapsed() < Duration::from_millis(300) {
            parsed.clear();
            for t in &texts {
                match Version::parse(scheme, t) {
                    Ok(v) => parsed.push(v),
                    Err(e) => panic!("sample does not parse: {e}"),
                }
                parses += 1;
            }
        }
        let parse_rate = parses as f64 / start.elapsed().as_secs_f64();

        let start = Instant::now();
        let mut comparisons = 0u64;
        while start.elapsed() < Duration::from_millis(700) {
            for a in &parsed {
                for b in &parsed {
                    black_box(a.cmp_same(b));
                }
            }
            comparisons += (parsed.len() * parsed.len()) as u64;
        }
        let cmp_rate = comparisons as f64 / start.elapsed().as_secs_f64();
        println!(
            "{:<10} {:>14.0} {:>16.0}",
            format!("{scheme:?}"),
            parse_rate,
            cmp_rate
        );
    }
}
