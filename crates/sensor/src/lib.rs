/*!
The Vedette sensor: it looks at one Linux host (or only its own container,
Fargate-style) and reports what runs there to the console.

- [`collect`]: the collectors — [`collect::host`], [`collect::processes`],
  [`collect::connections`], [`collect::docker`] — each filling one part of
  an [`collect::Observation`] made of `vedette_model::wire` types.
- [`delta`]: what changed since the last report the console acknowledged,
  ignoring jitter in volatile metrics (CPU %, RSS, load).
- [`report`]: registration with the API key, token renewal, and sending
  zstd-compressed [`vedette_model::wire::Report`]s with sequence numbers,
  backoff and `Retry-After`.
- [`sensor`]: the loop tying them together ([`sensor::Sensor::run`]).
- [`config`]: the validated configuration and its optional TOML file.

Architecture invariant: the sensor knows nothing of the console's code; the
two share only `vedette-model`'s wire types. TLS to the console is always
verified through `vedette-client` (fingerprint pin or CA file).
*/

#![deny(missing_docs)]

pub mod collect;
pub mod config;
pub mod delta;
pub mod error;
pub mod report;
pub mod root;
pub mod sensor;
pub mod state_file;
pub mod visibility;

pub use config::SensorConfig;
pub use error::SensorError;
pub use sensor::Sensor;
