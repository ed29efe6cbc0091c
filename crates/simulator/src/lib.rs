/*!
The fleet simulator behind `vedette dev simulate-sensors`: many virtual
sensors, each with a realistic, changing host (about 100 processes, 20
containers, 200 connections, a handful of images), reporting to a console
exactly like real sensors, so the console's capacity can be measured.

- [`generator`]: the fleet's hosts and how they change each interval.
  Deterministic for a seed. Hosts talk to each other's containers (so the
  console resolves cross-sensor edges) and to internet addresses.
- [`driver`]: registers every virtual sensor, sends a snapshot then deltas
  through the sensor's own [`vedette_sensor::report::stream::ReportStream`]
  (same sequencing, 409 and `Retry-After` handling, zstd), staggered and on
  one runtime with shared HTTP clients.
- [`stats`]: counts and latency percentiles.
- [`verify`]: asks the console (as an admin) whether every sensor is online
  and every node the simulator sent is in the topology.

Architecture invariant: the simulator speaks only the public wire protocol
and REST API; it never links the console.
*/

#![deny(missing_docs)]

pub mod driver;
pub mod generator;
pub mod stats;
pub mod verify;

pub use driver::{Outcome, SimulationConfig, simulate};
