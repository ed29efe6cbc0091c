//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! Each package is an SPDX package with a `purl` external reference and no
//! file analysis. `licenseDeclared` is the package's licence when it is one
//! valid SPDX expression; other declared licences (free text, several) go
//! to `licenseComments` with `licenseDeclared` `NOASSERTION`. The distro is a package whose primary purpose is
//! `OPERATING_SYSTEM`. Reading accepts any SPDX 2.x JSON document and
//! rebuilds packages from their purls.

use serde_json::{Value, json};
use vedette_model::package::{Distro, Package};

use super::{now_rfc3339, properties_to_package};
use crate::{Error, Sbom, purl};

/// The SPDX JSON document of `sbom`.
pub fn write(sbom: &Sbom) -> Value {
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    if let Some(d) = &sbom.distro {
        packages.push(json!({
            "SPDXID": "SPDXRef-OperatingSystem",
            "name": d.id,
            "versionInfo": d.version_id,
            "description": d.pretty_name,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING_SYSTEM",
        }));
        relationships.push(describes("SPDXRef-OperatingSystem"));
    }
    for (i, p) in sbom.packages.iter().enumerate() {
        let id = format!("SPDXRef-Package-{}-{i}", p.package_type.purl_type());
        let mut pkg = json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": super::spdx_expression(p).unwrap_or("NOASSERTION"),
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
            "sourceInfo": source_info(p),
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl}],
        });
        if super::spdx_expression(p).is_none() && !p.licenses.is_empty() {
            pkg["licenseComments"] = json!(format!("declared: {}", p.licenses.join("; ")));
        }
        packages.push(pkg);
        relationships.push(describes(&id));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": sbom.source,
        "documentNamespace": format!("https://vedette.invalid/spdx/{}", uuid::Uuid::new_v4()),
        "creationInfo": {"created": now_rfc3339(), "creators": [format!("Tool: vedette-{}", env!("CARGO_PKG_VERSION"))]},
        "packages": packages,
        "relationships": relationships,
    })
}

fn describes(id: &str) -> Value {
    json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": id})
}

/// `sourceInfo` text: the cataloger and locations, one per line, which
/// [`read`] parses back.
fn source_info(p: &Package) -> String {
    let mut lines = vec![format!("vedette:cataloger={}", p.cataloger)];
    lines.extend(p.locations.iter().map(|l| format!("vedette:location={l}")));
    if let Some(s) = &p.source_name {
        lines.push(format!("vedette:source-name={s}"));
    }
    if let Some(s) = &p.source_version {
        lines.push(format!("vedette:source-version={s}"));
    }
    if p.kernel {
        lines.push("vedette:kernel=true".into());
    }
    lines.join("\n")
}

/// Whether a parsed JSON document is SPDX.
pub fn is_spdx(doc: &Value) -> bool {
    doc.get("spdxVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("SPDX-"))
}

/// Reads an SPDX JSON document.
pub fn read(doc: &Value) -> Result<Sbom, Error> {
    if !is_spdx(doc) {
        return Err(Error::Invalid(
            "not an SPDX document (no spdxVersion)".into(),
        ));
    }
    let mut sbom = Sbom {
        source: format!(
            "spdx:{}",
            doc.get("name")
                .and_then(Value::as_str)
                .unwrap_or("document")
        ),
        ..Sbom::default()
    };
    for pkg in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let text = |key: &str| {
            pkg.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if matches!(
            text("primaryPackagePurpose").as_str(),
            "OPERATING_SYSTEM" | "OPERATING-SYSTEM"
        ) {
            sbom.distro = Some(Distro {
                id: text("name").to_ascii_lowercase(),
                version_id: text("versionInfo"),
                pretty_name: text("description"),
                ..Distro::default()
            });
            continue;
        }
        let purl = pkg
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
        let Some(mut p) = purl.and_then(purl::parse) else {
            continue;
        };
        if p.version.is_empty() {
            p.version = text("versionInfo");
        }
        let props: Vec<(String, String)> = text("sourceInfo")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        properties_to_package(&props, &mut p);
        let declared = text("licenseDeclared");
        if !declared.is_empty() && declared != "NOASSERTION" && declared != "NONE" {
            p.licenses = vec![declared];
        } else if let Some(l) = text("licenseComments").strip_prefix("declared: ") {
            p.licenses = l.split("; ").map(str::to_string).collect();
        }
        if sbom.distro.is_none() && p.is_os_package() {
            sbom.distro = purl::distro_of(&p.purl);
        }
        sbom.packages.push(p);
    }
    crate::scan::sort_packages(&mut sbom.packages);
    Ok(sbom)
}
