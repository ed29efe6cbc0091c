//! Per-source rate limits on the endpoints that check a guessable credential
//! (sign-in, setup code, invite and reset links, sensor registration).
//!
//! This complements the per-account lockout in [`super::users`]: lockout
//! stops guessing one account's password; this stops one source from
//! spraying many accounts. Limits are kept in memory per console process.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

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
}
