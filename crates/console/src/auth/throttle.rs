//! Per-source rate limits, one budget per kind of action, and the client
//! address they are keyed by.
//!
//! Each [`Action`] has its own budget ([`Throttles`]), so a sign-in flood
//! from a NAT'ed office does not block sensor registration from the same
//! address, and a fleet of sensors behind one address does not block its
//! people from signing in. Limits are kept in memory per console process.
//!
//! This complements the per-(account, source) lockout in [`super::lockout`]:
//! lockout stops guessing one account's password from one source; this stops
//! one source from spraying many accounts.
//!
//! The client address is the connection's peer, unless the peer is one of
//! the configured trusted proxies ([`Cidr`]); then the `X-Forwarded-For`
//! header is read from the right, skipping trusted proxies, and the first
//! other address is the client. With no trusted proxy (the default) the
//! header is ignored, so a client cannot pick its own throttle key.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Config;

/// The kinds of action that get their own per-source budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Guessing a person's credential: sign-in, setup code, invite and
    /// reset links, password change.
    SignIn,
    /// Registering a sensor with the API key.
    SensorRegistration,
    /// Renewing a sensor token.
    TokenRenewal,
    /// Sending a sensor report.
    ReportIngest,
}

impl Action {
    /// Every action, in a fixed order.
    pub const ALL: [Action; 4] = [
        Action::SignIn,
        Action::SensorRegistration,
        Action::TokenRenewal,
        Action::ReportIngest,
    ];

    /// The name used in messages and documentation.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SignIn => "sign-in",
            Action::SensorRegistration => "sensor registration",
            Action::TokenRenewal => "token renewal",
            Action::ReportIngest => "report ingest",
        }
    }

    /// The budget the configuration gives this action (per address per minute).
    pub fn per_minute(self, config: &Config) -> u32 {
        match self {
            Action::SignIn => config.auth_attempts_per_minute,
            Action::SensorRegistration => config.sensor_registrations_per_minute,
            Action::TokenRenewal => config.token_renewals_per_minute,
            Action::ReportIngest => config.reports_per_minute,
        }
    }
}

/// Rate limiter keyed by client address.
pub struct Throttle {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

impl Throttle {
    /// Allows `per_minute` attempts per source address per minute, in bursts
    /// of up to that many.
    pub fn per_minute(per_minute: u32) -> Throttle {
        let quota =
            Quota::per_minute(NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN));
        Throttle {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one attempt for `source`; on refusal, returns the seconds until
    /// the next attempt is allowed.
    pub fn check(&self, source: IpAddr) -> Result<(), u64> {
        self.limiter
            .check_key(&source)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()).as_secs().max(1))
    }

    /// Forgets sources whose limit has fully recovered (bounds memory).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// One [`Throttle`] per [`Action`].
pub struct Throttles {
    budgets: [Throttle; 4],
}

impl Throttles {
    /// The budgets of `config`.
    pub fn new(config: &Config) -> Throttles {
        Throttles {
            budgets: Action::ALL.map(|action| Throttle::per_minute(action.per_minute(config))),
        }
    }

    fn of(&self, action: Action) -> &Throttle {
        let index = Action::ALL
            .iter()
            .position(|a| *a == action)
            .unwrap_or_default();
        &self.budgets[index]
    }

    /// Takes one attempt at `action` for `source`; on refusal, returns the
    /// seconds until the next attempt is allowed.
    /// IPv6 sources are counted by their /64 (one host usually holds a whole
    /// /64, so per-address budgets would be no limit at all).
    pub fn check(&self, action: Action, source: IpAddr) -> Result<(), u64> {
        self.of(action).check(budget_key(source))
    }

    /// Forgets sources whose limits have fully recovered (bounds memory).
    pub fn forget_idle(&self) {
        for throttle in &self.budgets {
            throttle.forget_idle();
        }
    }
}

/// The key a source is counted under: IPv4 as is, IPv6 by its /64.
fn budget_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    }
}

/// An address block, `192.0.2.0/24` or `2001:db8::/32` (a bare address is
/// one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is in this block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let bad = || format!("`{text}` is not an address or ADDRESS/PREFIX block");
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network = IpAddr::from_str(address).map_err(|_| bad())?.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { network, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The client address of a request that came from `peer` with the given
/// `X-Forwarded-For` header values: `peer` unless it is a trusted proxy.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl Iterator<Item = &'a str>,
    trusted: &[Cidr],
) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|cidr| cidr.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    // Headers may repeat; together they form one list, oldest hop first.
    let hops: Vec<&str> = forwarded_for.flat_map(|value| value.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = IpAddr::from_str(hop.trim()) else {
            // A hop we cannot read: stop at the last address we could trust.
            break;
        };
        client = ip.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_source_separately() {
        let throttle = Throttle::per_minute(3);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.check(a).is_ok());
        }
        let wait = throttle.check(a).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(throttle.check(b).is_ok());
    }

    #[test]
    fn each_action_has_its_own_budget() {
        let mut config = Config::with_defaults("/tmp/x".into());
        config.auth_attempts_per_minute = 2;
        config.sensor_registrations_per_minute = 1;
        let throttles = Throttles::new(&config);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(throttles.check(Action::SignIn, a).is_ok());
        assert!(throttles.check(Action::SignIn, a).is_ok());
        assert!(throttles.check(Action::SignIn, a).is_err());
        assert!(throttles.check(Action::SensorRegistration, a).is_ok());
        assert!(throttles.check(Action::SensorRegistration, a).is_err());
        assert!(throttles.check(Action::TokenRenewal, a).is_ok());
    }

    #[test]
    fn cidr_blocks() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        let host: Cidr = "2001:db8::1".parse().unwrap();
        assert!(host.contains("2001:db8::1".parse().unwrap()));
        assert!(!host.contains("2001:db8::2".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.1".parse().unwrap()));
        assert_eq!(all.to_string(), "0.0.0.0/0");
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/", "::/129"] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxies: Vec<Cidr> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer_proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let peer_other: IpAddr = "203.0.113.9".parse().unwrap();
        let header = ["198.51.100.1, 192.0.2.7, 10.0.0.6"];
        // Rightmost untrusted hop is the client; earlier hops are the client's say-so.
        assert_eq!(
            client_address(peer_proxy, header.into_iter(), &proxies),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_address(peer_other, header.into_iter(), &proxies),
            peer_other
        );
        // No trusted proxies: always the peer.
        assert_eq!(
            client_address(peer_proxy, header.into_iter(), &[]),
            peer_proxy
        );
        // Garbage stops the walk at the last trusted address.
        assert_eq!(
            client_address(peer_proxy, ["junk"].into_iter(), &proxies),
            peer_proxy
        );
    }
}
