//! CycloneDX 1.6 and SPDX 2.3 output of a real scan, validated against the
//! official JSON schemas (testdata/schemas) and read back.

use std::path::Path;

use vedette_sbom::format::{self, Format};
use vedette_sbom::source::DirSource;

use crate::util::{TestResult, testdata};

/// A small root: this machine's os-release and dpkg status, the rpm test
/// database, and a Python package.
fn sample_sbom() -> Result<(tempfile::TempDir, vedette_sbom::Sbom), Box<dyn std::error::Error>> {
    let root = tempfile::tempdir()?;
    let r = root.path();
    for dir in [
        "etc",
        "var/lib/dpkg",
        "var/lib/rpm",
        "usr/lib/python3/dist-packages/demo-1.0.dist-info",
    ] {
        std::fs::create_dir_all(r.join(dir))?;
    }
    std::fs::copy("/etc/os-release", r.join("etc/os-release"))?;
    std::fs::copy("/var/lib/dpkg/status", r.join("var/lib/dpkg/status"))?;
    std::fs::copy(testdata("rpm/Packages"), r.join("var/lib/rpm/Packages"))?;
    std::fs::write(
        r.join("usr/lib/python3/dist-packages/demo-1.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nLicense: MIT\n",
    )?;
    let sbom = vedette_sbom::catalog(&DirSource::open(r)?)?;
    Ok((root, sbom))
}

/// Runs validate.py; its output lists the violations.
fn validate(kind: &str, path: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate.py");
    let out = std::process::Command::new(vedette_testkit::python())
        .arg(&script)
        .arg(kind)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}): run crates/sbom/tests/prepare.sh"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "python jsonschema is missing: run crates/sbom/tests/prepare.sh\n{stderr}"
    );
    assert!(
        out.status.success(),
        "{kind} schema violations:\n{}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn cyclonedx_validates_and_reads_back() -> TestResult {
    let (_root, sbom) = sample_sbom()?;
    assert!(sbom.packages.len() > 50);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bom.cdx.json");
    let json = format::to_json(&sbom, Format::CycloneDx);
    std::fs::write(&path, &json)?;
    validate("cyclonedx", &path);
    // Valid SPDX expressions (the rpm test packages' `MIT`) are expressions;
    // free text would be a name.
    assert!(
        json.contains(r#""expression": "MIT""#),
        "no SPDX expression in the CycloneDX output"
    );
    let back = format::read(json.as_bytes())?;
    assert_eq!(back.packages, sbom.packages);
    assert_eq!(
        back.distro.as_ref().map(|d| &d.id),
        sbom.distro.as_ref().map(|d| &d.id)
    );
    Ok(())
}

#[test]
fn spdx_validates_and_reads_back() -> TestResult {
    let (_root, sbom) = sample_sbom()?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bom.spdx.json");
    let json = format::to_json(&sbom, Format::Spdx);
    std::fs::write(&path, &json)?;
    validate("spdx", &path);
    assert!(
        json.contains(r#""licenseDeclared": "Apache-2.0""#),
        "no declared licence in the SPDX output"
    );
    let back = format::read(json.as_bytes())?;
    assert_eq!(back.packages.len(), sbom.packages.len());
    for (a, b) in back.packages.iter().zip(&sbom.packages) {
        assert_eq!(
            (&a.name, &a.version, &a.purl, &a.locations, &a.cataloger),
            (&b.name, &b.version, &b.purl, &b.locations, &b.cataloger)
        );
        assert_eq!(
            (&a.source_name, &a.arch, a.kernel),
            (&b.source_name, &b.arch, b.kernel)
        );
    }
    Ok(())
}

#[test]
fn the_validator_rejects_a_broken_document() -> TestResult {
    // Guards against a validator that accepts anything.
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("bad.json");
    std::fs::write(
        &path,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":"x"}]}"#,
    )?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate.py");
    let out = std::process::Command::new(vedette_testkit::python())
        .arg(&script)
        .arg("cyclonedx")
        .arg(&path)
        .output()?;
    assert!(
        !out.status.success(),
        "a component without type passed validation"
    );
    Ok(())
}

#[test]
fn reads_a_document_from_another_tool() -> TestResult {
    // Shaped like Syft's output: nested components, metadata-only fields,
    // purls with qualifiers we do not write.
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
      "metadata":{"component":{"type":"container","name":"alpine:3.19"}},
      "components":[
        {"type":"operating-system","name":"alpine","version":"3.19.1","description":"Alpine Linux v3.19"},
        {"type":"library","name":"musl","version":"1.2.4_git20230717-r4","purl":"pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&upstream=musl&distro=alpine-3.19.1",
         "components":[{"type":"library","name":"log4j-core","version":"2.14.1","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]},
        {"type":"library","name":"thing","purl":"pkg:generic/thing@1"}]}"#;
    let sbom = format::read(doc.as_bytes())?;
    let ids: Vec<String> = sbom
        .packages
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(
        ids,
        [
            "musl@1.2.4_git20230717-r4",
            "org.apache.logging.log4j:log4j-core@2.14.1"
        ]
    );
    assert_eq!(sbom.distro.map(|d| d.version_id), Some("3.19.1".into()));
    assert!(format::read(b"{\"hello\": 1}").is_err());
    assert!(format::read(b"\xff\xfe").is_err());
    Ok(())
}

#[test]
fn reads_cyclonedx_py_and_lib4sbom_documents() -> TestResult {
    // CycloneDX written by cyclonedx-py, SPDX converted from it by lib4sbom
    // (prepare.sh), both describing the pip-installed fixture.
    let listed = crate::util::run(
        &vedette_testkit::python().display().to_string(),
        &[
            "-m",
            "pip",
            "list",
            "--path",
            &crate::util::fixture("python").display().to_string(),
            "--format",
            "json",
        ],
        None,
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed)?;
    let mut expected: Vec<String> = listed
        .iter()
        .filter_map(|p| {
            Some(format!(
                "{}@{}",
                p["name"].as_str()?,
                p["version"].as_str()?
            ))
        })
        .collect();
    expected.sort();
    for file in ["thirdparty/bom.cdx.json", "thirdparty/bom.spdx.json"] {
        let sbom = format::read(&std::fs::read(crate::util::fixture(file))?)?;
        assert!(
            sbom.packages
                .iter()
                .all(|p| p.package_type == vedette_model::package::PackageType::Pypi)
        );
        assert_eq!(crate::util::ids(&sbom.packages), expected, "{file}");
    }
    Ok(())
}
