//! Ruby gems: installed gem specifications (`specifications/*.gemspec`,
//! written by RubyGems and Debian's rubygems-integration) and Bundler's
//! `Gemfile.lock`.
//!
//! Installed gemspecs are Ruby code; we read only the two assignments every
//! generated spec has (`s.name = "rake".freeze`, `s.version = "13.0.6"`)
//! rather than evaluate anything.

use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, read_text};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Cataloger for gemspecs and Gemfile.lock.
pub struct RubyCataloger;

impl Cataloger for RubyCataloger {
    fn name(&self) -> &'static str {
        "ruby"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        if file.file_name() == "Gemfile.lock" {
            return !inside_installed_gem(file.path);
        }
        file.path.ends_with(".gemspec") && file.path.contains("/specifications/")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        if path.ends_with("Gemfile.lock") {
            return Ok(parse_gemfile_lock(&text).into());
        }
        parse_gemspec(&text)
            .map(|p| Found::from(vec![p]))
            .ok_or_else(|| Error::malformed(path, "no name or version assignment"))
    }
}

/// Whether `path` lies inside an installed gem (`…/gems/<name>-<version>/…`):
/// lock files there are the gem's own development files, not what is
/// installed.
fn inside_installed_gem(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.windows(2).any(|w| {
        w[0] == "gems"
            && w[1]
                .rsplit_once('-')
                .is_some_and(|(_, v)| v.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// The first double- or single-quoted string on a line.
fn quoted(line: &str) -> Option<&str> {
    let start = line.find(['"', '\''])?;
    let quote = line[start..].chars().next()?;
    let rest = &line[start + 1..];
    rest.find(quote).map(|end| &rest[..end])
}

/// Reads name, version and licenses from an installed gemspec.
pub fn parse_gemspec(text: &str) -> Option<Package> {
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines().map(str::trim) {
        let Some((lhs, rhs)) = line.split_once('=') else {
            continue;
        };
        match lhs.trim().rsplit('.').next() {
            Some("name") if name.is_none() => name = quoted(rhs),
            Some("version") if version.is_none() => version = quoted(rhs),
            Some("licenses" | "license") if licenses.is_empty() => {
                licenses = rhs
                    .split(['"', '\''])
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect();
            }
            _ => {}
        }
    }
    let mut pkg = Package::new(PackageType::Gem, name?, version?);
    pkg.licenses = licenses;
    Some(pkg)
}

/// Reads the `GEM` section's `specs:` of a Gemfile.lock: gems are the lines
/// indented by exactly four spaces, `name (version)`.
pub fn parse_gemfile_lock(text: &str) -> Vec<Package> {
    let mut packages = Vec::new();
    let mut in_gem = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_gem = line.trim() == "GEM";
            continue;
        }
        if !in_gem || !line.starts_with("    ") || line.starts_with("     ") {
            continue;
        }
        let Some((name, version)) = line.trim().split_once(" (") else {
            continue;
        };
        let version = version.trim_end_matches(')');
        packages.push(Package::new(PackageType::Gem, name, version));
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspec_and_lock() {
        let spec = "# -*- encoding: utf-8 -*-\nGem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.0.6\"\n  s.licenses = [\"MIT\".freeze]\nend\n";
        let p = parse_gemspec(spec).expect("valid gemspec");
        assert_eq!((p.name.as_str(), p.version.as_str()), ("rake", "13.0.6"));
        assert_eq!(p.licenses, ["MIT"]);
        assert!(parse_gemspec("garbage").is_none());
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    actionpack (7.0.4)\n      rack (~> 2.0)\n    nokogiri (1.13.10-x86_64-linux)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  rails\n";
        let pkgs = parse_gemfile_lock(lock);
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(got, ["actionpack@7.0.4", "nokogiri@1.13.10-x86_64-linux"]);
        assert!(inside_installed_gem(
            "/usr/lib/ruby/gems/3.1.0/gems/rbs-2.7.0/steep/Gemfile.lock"
        ));
        assert!(!inside_installed_gem("/srv/app/Gemfile.lock"));
    }
}
