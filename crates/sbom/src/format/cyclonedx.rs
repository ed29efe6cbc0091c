//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>).
//!
//! Each package is a `library` component with its purl, licenses (an SPDX
//! `expression` when the package declares one valid expression, else by name)
//! and Vedette properties (`vedette:cataloger`, `vedette:location`,
//! `vedette:source-name`, `vedette:kernel`, …); the distro is an
//! `operating-system` component. Reading accepts any CycloneDX JSON
//! document (nested components too) and rebuilds packages from their purls.

use serde_json::{Value, json};
use vedette_model::package::{Distro, Package};

use super::{now_rfc3339, properties_to_package};
use crate::{Error, Sbom, purl};

/// The CycloneDX JSON document of `sbom`.
pub fn write(sbom: &Sbom) -> Value {
    let mut components = Vec::new();
    if let Some(d) = &sbom.distro {
        components.push(json!({
            "bom-ref": format!("os:{}@{}", d.id, d.version_id),
            "type": "operating-system",
            "name": d.id,
            "version": d.version_id,
            "description": d.pretty_name,
        }));
    }
    for (p, bom_ref) in sbom.packages.iter().zip(bom_refs(sbom)) {
        let mut c = json!({
            "bom-ref": bom_ref,
            "type": "library",
            "name": p.name,
            "version": p.version,
            "purl": p.purl,
            "properties": properties(p),
        });
        if let Some(expression) = super::spdx_expression(p) {
            c["licenses"] = json!([{"expression": expression}]);
        } else if !p.licenses.is_empty() {
            c["licenses"] = p
                .licenses
                .iter()
                .map(|l| json!({"license": {"name": l}}))
                .collect();
        }
        components.push(c);
    }
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": {
            "timestamp": now_rfc3339(),
            "tools": {"components": [{"type": "application", "name": "vedette", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {"bom-ref": "source", "type": source_type(&sbom.source), "name": sbom.source},
        },
        "components": components,
    })
}

/// The `bom-ref` of each package of `sbom`, in order: its purl, made unique
/// with `#index` when two packages share one. Documents that refer to the
/// components (vulnerabilities' `affects`) use these.
pub fn bom_refs(sbom: &Sbom) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    sbom.packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if seen.insert(p.purl.clone()) {
                p.purl.clone()
            } else {
                format!("{}#{i}", p.purl)
            }
        })
        .collect()
}

/// The CycloneDX component type of what was scanned: images are
/// containers, directory trees files.
fn source_type(source: &str) -> &'static str {
    // `docker:NAME` is an image streamed from the Docker Engine (`vedette scan image NAME`).
    if source.starts_with("docker-archive:")
        || source.starts_with("docker:")
        || source.starts_with("oci-")
    {
        "container"
    } else {
        "file"
    }
}

fn properties(p: &Package) -> Vec<Value> {
    let mut props = vec![json!({"name": "vedette:cataloger", "value": p.cataloger})];
    for l in &p.locations {
        props.push(json!({"name": "vedette:location", "value": l}));
    }
    if let Some(s) = &p.source_name {
        props.push(json!({"name": "vedette:source-name", "value": s}));
    }
    if let Some(s) = &p.source_version {
        props.push(json!({"name": "vedette:source-version", "value": s}));
    }
    if p.kernel {
        props.push(json!({"name": "vedette:kernel", "value": "true"}));
    }
    props
}

/// Whether a parsed JSON document is CycloneDX.
pub fn is_cyclonedx(doc: &Value) -> bool {
    doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
}

/// Reads a CycloneDX JSON document.
pub fn read(doc: &Value) -> Result<Sbom, Error> {
    if !is_cyclonedx(doc) {
        return Err(Error::Invalid(
            "not a CycloneDX document (no bomFormat CycloneDX)".into(),
        ));
    }
    let mut sbom = Sbom {
        source: doc
            .pointer("/metadata/component/name")
            .and_then(Value::as_str)
            .map_or_else(|| "cyclonedx".to_string(), |n| format!("cyclonedx:{n}")),
        ..Sbom::default()
    };
    // Components nest (`components` inside components): walk them all.
    let mut stack: Vec<&Value> = doc
        .get("components")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if let Some(meta) = doc.pointer("/metadata/component") {
        stack.extend(
            meta.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    while let Some(c) = stack.pop() {
        stack.extend(
            c.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
        let text = |key: &str| {
            c.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        if text("type") == "operating-system" {
            sbom.distro = Some(Distro {
                id: text("name").to_ascii_lowercase(),
                version_id: text("version"),
                pretty_name: text("description"),
                ..Distro::default()
            });
            continue;
        }
        let Some(mut p) = c.get("purl").and_then(Value::as_str).and_then(purl::parse) else {
            continue;
        };
        if p.version.is_empty() {
            p.version = text("version");
        }
        let props: Vec<(String, String)> = c
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|kv| {
                Some((
                    kv.get("name")?.as_str()?.to_string(),
                    kv.get("value")?.as_str()?.to_string(),
                ))
            })
            .collect();
        properties_to_package(&props, &mut p);
        p.licenses = c
            .get("licenses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| {
                l.pointer("/license/id")
                    .or_else(|| l.pointer("/license/name"))
                    .or_else(|| l.get("expression"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        if sbom.distro.is_none() && p.is_os_package() {
            sbom.distro = purl::distro_of(&p.purl);
        }
        sbom.packages.push(p);
    }
    crate::scan::sort_packages(&mut sbom.packages);
    Ok(sbom)
}
