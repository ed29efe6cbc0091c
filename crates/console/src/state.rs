//! The state every handler shares.

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::principal::PrincipalCache;
use crate::auth::throttle::Throttles;
use crate::config::Config;
use crate::store::Store;
use crate::tls::CurrentFingerprint;
use crate::topology::Topology;
use crate::topology::views::Views;

/// Cheap-to-clone handle on the console's shared state.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

/// What the handle points to.
pub struct StateInner {
    /// The store.
    pub store: Store,
    /// The configuration.
    pub config: Config,
    /// The URL people and sensors reach the console at.
    pub console_url: String,
    /// Resolved credentials, cached briefly.
    pub auth_cache: PrincipalCache,
    /// Per-source limits, one budget per kind of action.
    pub throttles: Throttles,
    /// The TLS certificate fingerprint currently served.
    pub fingerprint: Arc<CurrentFingerprint>,
    /// What sensors reported.
    pub topology: Topology,
    /// Shared topology views and the limits on heavy reads.
    pub views: Views,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        store: Store,
        config: Config,
        console_url: String,
        fingerprint: Arc<CurrentFingerprint>,
        topology: Topology,
    ) -> AppState {
        let throttles = Throttles::new(&config);
        let views = Views::new(&config);
        AppState(Arc::new(StateInner {
            store,
            config,
            console_url,
            auth_cache: PrincipalCache::default(),
            throttles,
            fingerprint,
            topology,
            views,
        }))
    }
}

impl Deref for AppState {
    type Target = StateInner;

    fn deref(&self) -> &StateInner {
        &self.0
    }
}
