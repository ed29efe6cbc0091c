//! The distro of a source, from `os-release`
//! (<https://www.freedesktop.org/software/systemd/man/os-release.html>).
//!
//! Not a [`Cataloger`](super::Cataloger): it finds no packages, it names the
//! release that OS packages and their advisories belong to. The scan reads
//! `/etc/os-release`, then `/usr/lib/os-release`.

use vedette_model::package::Distro;

/// Where os-release lives, in the order the specification says to look.
pub const PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

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
