//! Who is calling, and what they may do.
//!
//! - [`users`]: accounts, roles, login bookkeeping.
//! - [`lockout`]: failed sign-ins and locks per (account, source).
//! - [`sessions`]: browser sessions (cookie + CSRF token).
//! - [`api_tokens`]: per-user bearer tokens for API clients.
//! - [`one_time`]: invite and password-reset links.
//! - [`principal`]: turns a request's credentials into a [`principal::Principal`],
//!   with a short-lived cache, and the role guards handlers use as extractors.
//! - [`throttle`]: per-source rate limits, one budget per kind of action, and
//!   the client address (trusted proxies' `X-Forwarded-For`).
//!
//! Architecture invariant: every secret is stored hashed ([`secret`] for
//! random secrets, [`password`] for passwords); plaintext exists only in the
//! response that creates it.

pub mod api_tokens;
pub mod lockout;
pub mod one_time;
pub mod password;
pub mod principal;
pub mod secret;
pub mod sessions;
pub mod throttle;
pub mod users;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user's role. Roles are ordered: each includes the rights of those below.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees everything, changes nothing.
    ReadOnly,
    /// Works with findings and scans; cannot manage users or settings.
    Standard,
    /// Everything, including users, keys and settings.
    Admin,
}

impl Role {
    /// The name stored in the database and shown in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Standard => "standard",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored or user-given role name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "read_only" => Some(Role::ReadOnly),
            "standard" => Some(Role::Standard),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
