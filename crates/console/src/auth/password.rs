//! Password hashing (Argon2id) and the password policy.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Shortest password accepted.
pub const MIN_LEN: usize = 12;
/// Longest password accepted (bounds the hashing work an attacker can ask for).
pub const MAX_LEN: usize = 128;

/// Passwords too common to accept whatever their length.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "passw0rd",
    "123456789012",
    "1234567890",
    "qwertyuiop",
    "qwerty123456",
    "iloveyou",
    "letmein",
    "welcome",
    "administrator",
    "changeme",
    "vedette",
    "trustno1",
    "abc123",
    "superman",
    "dragon",
    "monkey",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "starwars",
    "whatever",
    "correcthorsebatterystaple",
];

/// Checks a new password against the policy. The error says what to fix.
pub fn check_policy(username: &str, password: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_LEN {
        return Err(format!(
            "the password must have at least {MIN_LEN} characters"
        ));
    }
    if chars > MAX_LEN {
        return Err(format!(
            "the password must have at most {MAX_LEN} characters"
        ));
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err("the password must not contain the username".into());
    }
    let stripped: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    if COMMON
        .iter()
        .any(|common| stripped == *common || lower == *common)
    {
        return Err("this password is too common; choose another".into());
    }
    if password
        .chars()
        .all(|c| c == password.chars().next().unwrap_or(c))
    {
        return Err("the password must not repeat a single character".into());
    }
    Ok(())
}

/// Hashes a password with Argon2id and a random salt, as a PHC string.
///
/// Slow on purpose (tens of milliseconds): call it from `spawn_blocking`.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))?;
    Ok(hash.to_string())
}

/// Checks a password against a PHC hash. A malformed hash never verifies.
pub fn verify(password: &str, phc_hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), phc_hash)
        .is_ok()
}

/// A hash of a random password, verified against when the user does not
/// exist so that a failed login takes the same time either way.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::secret::generate("dummy_")).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse staple").unwrap();
        let b = hash("correct horse staple").unwrap();
        assert_ne!(a, b, "salts must differ");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("correct horse staple", &a));
        assert!(!verify("correct horse stapl", &a));
        assert!(!verify("anything", "not a phc string"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("alice", "short").is_err());
        assert!(check_policy("alice", "alice-is-great-2026").is_err());
        assert!(check_policy("alice", "Password123").is_err());
        assert!(check_policy("alice", "password123!").is_err());
        assert!(check_policy("alice", "aaaaaaaaaaaaaaa").is_err());
        assert!(check_policy("alice", &"x".repeat(129)).is_err());
        assert!(check_policy("alice", "blue-Tangerine-41-kayak").is_ok());
    }
}
