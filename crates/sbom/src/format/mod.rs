//! SBOM documents: CycloneDX 1.6 JSON and SPDX 2.3 JSON, written from an
//! [`Sbom`] and read back — also documents written by other tools, through
//! the package URLs of their components.

pub mod cyclonedx;
pub mod spdx;

use vedette_model::package::Package;

use crate::{Error, Sbom};

/// Largest SBOM document read.
pub const DOCUMENT_LIMIT: usize = 512 << 20;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// CycloneDX 1.6 JSON.
    CycloneDx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Writes `sbom` as pretty-printed JSON in `format`.
pub fn to_json(sbom: &Sbom, format: Format) -> String {
    let doc = match format {
        Format::CycloneDx => cyclonedx::write(sbom),
        Format::Spdx => spdx::write(sbom),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Reads a CycloneDX or SPDX JSON document, whichever `bytes` is.
pub fn read(bytes: &[u8]) -> Result<Sbom, Error> {
    if bytes.len() > DOCUMENT_LIMIT {
        return Err(Error::Invalid(format!(
            "SBOM document larger than {DOCUMENT_LIMIT} bytes"
        )));
    }
    let doc: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::Invalid(format!("SBOM is not JSON: {e}")))?;
    if cyclonedx::is_cyclonedx(&doc) {
        cyclonedx::read(&doc)
    } else if spdx::is_spdx(&doc) {
        spdx::read(&doc)
    } else {
        Err(Error::Invalid(
            "neither a CycloneDX nor an SPDX JSON document".into(),
        ))
    }
}

/// The current time as RFC 3339, seconds precision.
fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The package's licence as one valid SPDX expression (`MIT`,
/// `Apache-2.0 OR MIT`), when it declares exactly one and it is one.
pub(crate) fn spdx_expression(p: &Package) -> Option<&str> {
    match p.licenses.as_slice() {
        // `::spdx` is the crate, not the sibling writer module.
        [only] if ::spdx::Expression::parse(only).is_ok() => Some(only.as_str()),
        _ => None,
    }
}

/// Applies `vedette:*` properties (written by our writers) to a package.
fn properties_to_package(props: &[(String, String)], p: &mut Package) {
    for (name, value) in props {
        match name.as_str() {
            "vedette:cataloger" => p.cataloger = value.clone(),
            "vedette:location" => p.locations.push(value.clone()),
            "vedette:source-name" => p.source_name = Some(value.clone()),
            "vedette:source-version" => p.source_version = Some(value.clone()),
            "vedette:kernel" => p.kernel = value == "true",
            _ => {}
        }
    }
}
