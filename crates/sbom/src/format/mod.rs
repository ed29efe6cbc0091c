//! SBOM documents: CycloneDX 1.6 JSON and SPDX 2.3 JSON, written from an
//! [`Sbom`](crate::Sbom) and read back (also from other tools' documents,
//! through package URLs).

pub mod cyclonedx;
pub mod spdx;
