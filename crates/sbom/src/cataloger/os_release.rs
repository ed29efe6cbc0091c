//! The distro of a source, from `os-release`
//! (<https://www.freedesktop.org/software/systemd/man/os-release.html>).
//!
//! Not a [`Cataloger`](super::Cataloger): it finds no packages, it names the
//! release that OS packages and their advisories belong to. The scan reads
//! `/etc/os-release`, then `/usr/lib/os-release`.

use vedette_model::package::Distro;

/// Where os-release lives, in the order the specification says to look.
pub const PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

/// Every file that names the distro, best first: os-release, then the
/// older per-distro files of images that lack it (old CentOS, minimal
/// Debian or Alpine roots).
pub const ALL_PATHS: [&str; 5] = [
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/debian_version",
];

/// Parses any file of [`ALL_PATHS`], told apart by `path`.
pub fn parse_any(path: &str, text: &str) -> Option<Distro> {
    let first = text.lines().next().unwrap_or("").trim();
    match path {
        "/etc/alpine-release" if !first.is_empty() => Some(Distro {
            id: "alpine".into(),
            version_id: first.to_string(),
            pretty_name: format!("Alpine Linux {first}"),
            ..Distro::default()
        }),
        "/etc/redhat-release" => parse_redhat_release(first),
        "/etc/debian_version" if !first.is_empty() => Some(Distro {
            id: "debian".into(),
            // `12.11` is a point release of 12; `trixie/sid` names no release.
            version_id: first
                .split('.')
                .next()
                .filter(|v| v.chars().all(|c| c.is_ascii_digit()))
                .unwrap_or("")
                .to_string(),
            pretty_name: format!("Debian GNU/Linux {first}"),
            ..Distro::default()
        }),
        _ => parse(text),
    }
}

/// `CentOS Linux release 7.9.2009 (Core)`, `Red Hat Enterprise Linux Server
/// release 7.9 (Maipo)`, `Fedora release 38 (Thirty Eight)`.
fn parse_redhat_release(line: &str) -> Option<Distro> {
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?.to_string();
    let (id, like): (&str, &[&str]) = match name {
        n if n.starts_with("CentOS") => ("centos", &["rhel", "fedora"]),
        n if n.starts_with("Red Hat") => ("rhel", &["fedora"]),
        n if n.starts_with("Fedora") => ("fedora", &[]),
        n if n.starts_with("Rocky") => ("rocky", &["rhel", "centos", "fedora"]),
        n if n.starts_with("AlmaLinux") => ("almalinux", &["rhel", "centos", "fedora"]),
        n if n.starts_with("Oracle") => ("ol", &["fedora"]),
        _ => return None,
    };
    Some(Distro {
        id: id.to_string(),
        version_id: version,
        id_like: like.iter().map(|s| s.to_string()).collect(),
        pretty_name: line.to_string(),
        version_codename: None,
    })
}

/// Parses os-release text; `None` when it has no `ID`.
pub fn parse(text: &str) -> Option<Distro> {
    let mut distro = Distro::default();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let value = unquote(value.trim());
        match key.trim() {
            "ID" => distro.id = value.to_ascii_lowercase(),
            "VERSION_ID" => distro.version_id = value,
            "ID_LIKE" => distro.id_like = value.split_whitespace().map(str::to_string).collect(),
            "PRETTY_NAME" => distro.pretty_name = value,
            "VERSION_CODENAME" if !value.is_empty() => distro.version_codename = Some(value),
            _ => {}
        }
    }
    (!distro.id.is_empty()).then_some(distro)
}

/// Removes shell quoting from a value (`"12"`, `'12'`), undoing `\` escapes.
fn unquote(value: &str) -> String {
    let inner = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
        .unwrap_or(value);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine() -> Result<(), Box<dyn std::error::Error>> {
        let text = std::fs::read_to_string("/etc/os-release")?;
        let d = parse(&text).ok_or("no ID in /etc/os-release")?;
        assert!(!d.id.is_empty());
        assert!(!d.pretty_name.is_empty());
        Ok(())
    }

    #[test]
    fn older_release_files() {
        let d = parse_any("/etc/redhat-release", "CentOS release 6.10 (Final)\n").expect("centos");
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("centos", "6.10"));
        assert!(d.is_like("rhel"));
        let d = parse_any("/etc/alpine-release", "3.19.1\n").expect("alpine");
        assert_eq!(d.purl_qualifier(), "alpine-3.19.1");
        let d = parse_any("/etc/debian_version", "12.11\n").expect("debian");
        assert_eq!(d.purl_qualifier(), "debian-12");
        let d = parse_any("/etc/debian_version", "trixie/sid\n").expect("debian");
        assert_eq!(d.purl_qualifier(), "debian");
        assert!(parse_any("/etc/redhat-release", "something else").is_none());
        // This machine's own file, when it has one.
        if let Ok(text) = std::fs::read_to_string("/etc/debian_version") {
            assert_eq!(
                parse_any("/etc/debian_version", &text).map(|d| d.id),
                Some("debian".into())
            );
        }
    }

    #[test]
    fn quoting_and_id_like() {
        let d = parse(
            "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID='9.3'\nPRETTY_NAME=\"Rocky \\\"Blue\\\" Onyx\"\n",
        );
        let d = d.expect("valid os-release");
        assert_eq!(d.id, "rocky");
        assert_eq!(d.version_id, "9.3");
        assert_eq!(d.id_like, ["rhel", "centos", "fedora"]);
        assert_eq!(d.pretty_name, "Rocky \"Blue\" Onyx");
        assert!(parse("garbage\n\0\0").is_none());
    }
}
