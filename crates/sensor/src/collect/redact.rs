//! Hides secrets in process command lines before they leave the host.
//!
//! Command lines often carry credentials (`--password=…`, `mysql://user:pass@db`,
//! `TOKEN=… ./run`, and the sensor's own `--api-key`). The console stores and shows
//! command lines to every user who can read the topology, so values that look like
//! secrets are replaced here, on the host, and never reach the wire.
//!
//! The rules are deliberately simple and predictable (no regex, nothing to tune):
//! - the value of a flag whose name says it is secret (`--api-key X`, `--password=X`,
//!   `-token X`), unless the name says it is a path (`--password-file`);
//! - `NAME=value` arguments whose name says it is secret (`DB_PASSWORD=…`);
//! - the password of a URL's user information (`scheme://user:secret@host`);
//! - Vedette's own keys and tokens (`vsk_…`, `vdt_…`) wherever they appear.

/// What replaces a hidden value.
pub const REDACTED: &str = "<redacted>";

/// Words that make a flag or variable name secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "auth",
];

/// Endings that make a secret-sounding name a reference to a secret, not the secret.
const REFERENCE_ENDINGS: &[&str] = &["file", "path", "dir", "env", "name", "id", "type"];

/// Prefixes of Vedette's own secrets (sensor API keys, personal API tokens).
const VEDETTE_PREFIXES: &[&str] = &["vsk_", "vdt_"];

/// Returns `args` with secret values replaced by [`REDACTED`].
pub fn command_line(args: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for arg in args {
        if hide_next {
            hide_next = false;
            // `--password --verbose`: the next word is a flag, not a value.
            if !arg.starts_with('-') {
                out.push(REDACTED.to_string());
                continue;
            }
        }
        if let Some(flag) = arg.strip_prefix('-') {
            let flag = flag.trim_start_matches('-');
            match flag.split_once('=') {
                Some((name, _)) if is_secret_name(name) => {
                    out.push(format!(
                        "{}={REDACTED}",
                        &arg[..arg.len() - flag.len() + name.len()]
                    ));
                    continue;
                }
                None if is_secret_name(flag) => hide_next = true,
                _ => {}
            }
        } else if let Some((name, _)) = arg.split_once('=')
            && is_variable_name(name)
            && is_secret_name(name)
        {
            out.push(format!("{name}={REDACTED}"));
            continue;
        }
        out.push(redact_text(&arg));
    }
    out
}

/// Whether a flag or variable name says its value is a secret.
fn is_secret_name(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_WORDS.iter().any(|word| normalized.contains(word))
        && !REFERENCE_ENDINGS
            .iter()
            .any(|ending| normalized.ends_with(ending))
}

/// `NAME` in `NAME=value` looks like an environment variable or option name.
fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Masks URL passwords and Vedette secrets inside one argument.
fn redact_text(text: &str) -> String {
    let text = redact_url_passwords(text);
    redact_vedette_secrets(&text)
}

/// `scheme://user:secret@host` → `scheme://user:<redacted>@host`, anywhere in `text`.
fn redact_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (before, after) = rest.split_at(start + 3);
        out.push_str(before);
        // The authority ends at the first `/`, `?`, `#` or whitespace.
        let authority_end = after
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rfind('@').map(|at| (at, &authority[..at])) {
            Some((at, userinfo)) if userinfo.contains(':') => {
                let user_end = userinfo.find(':').unwrap_or(userinfo.len());
                out.push_str(&userinfo[..user_end]);
                out.push(':');
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `vsk_AbCd…` → `vsk_<redacted>`, for every Vedette prefix at a word start.
fn redact_vedette_secrets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for prefix in VEDETTE_PREFIXES {
            if let Some(at) = rest.find(prefix) {
                let at_word_start = at == 0
                    || !rest[..at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
                let body = &rest[at + prefix.len()..];
                let body_len = body
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(body.len());
                // Short words (`vsk_tool`) are names, not keys.
                if at_word_start && body_len >= 16 {
                    out.push_str(&rest[..at + prefix.len()]);
                    out.push_str(REDACTED);
                    rest = &body[body_len..];
                    continue 'scan;
                }
            }
        }
        // No secret left that starts a word: keep the rest as it is, one prefix hit at a time.
        match VEDETTE_PREFIXES.iter().filter_map(|p| rest.find(p)).min() {
            Some(at) => {
                let keep = at + 1;
                out.push_str(&rest[..keep]);
                rest = &rest[keep..];
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(args: &[&str]) -> Vec<String> {
        command_line(args.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn secret_flags_lose_their_values() {
        assert_eq!(
            redact(&[
                "vedette",
                "sensor",
                "--api-key",
                "vsk_0123456789abcdefghij",
                "--console-url",
                "https://console:8443",
                "--password=hunter2",
                "-token",
                "t0k3n",
                "--db-password",
                "--verbose",
            ]),
            [
                "vedette",
                "sensor",
                "--api-key",
                REDACTED,
                "--console-url",
                "https://console:8443",
                &format!("--password={REDACTED}"),
                "-token",
                REDACTED,
                "--db-password",
                "--verbose",
            ]
        );
    }

    #[test]
    fn references_to_secrets_are_kept() {
        let args = [
            "app",
            "--password-file",
            "/run/secrets/db",
            "--token-path=/var/run/token",
            "--secret-name",
            "db-creds",
        ];
        assert_eq!(redact(&args), args);
    }

    #[test]
    fn environment_assignments_and_url_passwords() {
        assert_eq!(
            redact(&[
                "env",
                "DB_PASSWORD=s3cr3t",
                "GITHUB_TOKEN=ghp_x",
                "HOME=/root",
                "postgres://app:pw@db:5432/app?sslmode=require",
                "--dsn=mysql://root:toor@10.0.0.5/db",
                "https://example.org/path@x",
                "redis://:onlypass@cache:6379",
            ]),
            [
                "env",
                &format!("DB_PASSWORD={REDACTED}"),
                &format!("GITHUB_TOKEN={REDACTED}"),
                "HOME=/root",
                &format!("postgres://app:{REDACTED}@db:5432/app?sslmode=require"),
                &format!("--dsn=mysql://root:{REDACTED}@10.0.0.5/db"),
                "https://example.org/path@x",
                &format!("redis://:{REDACTED}@cache:6379"),
            ]
        );
    }

    #[test]
    fn vedette_keys_anywhere_but_not_look_alike_names() {
        assert_eq!(
            redact(&[
                "sh",
                "-c",
                "curl -H 'Authorization: Bearer vdt_abcdefghijklmnop1234' x",
                "/usr/bin/vsk_tool",
                "xvsk_abcdefghijklmnopqrstu",
            ]),
            [
                "sh",
                "-c",
                &format!("curl -H 'Authorization: Bearer vdt_{REDACTED}' x"),
                "/usr/bin/vsk_tool",
                "xvsk_abcdefghijklmnopqrstu",
            ]
        );
    }

    #[test]
    fn plain_command_lines_are_unchanged() {
        let args = [
            "/usr/sbin/nginx",
            "-g",
            "daemon off;",
            "--port=8080",
            "a=b",
            "-",
            "--",
        ];
        assert_eq!(redact(&args), args);
    }
}
