//! CycloneDX.
