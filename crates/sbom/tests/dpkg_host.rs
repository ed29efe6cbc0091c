//! This machine's `/var/lib/dpkg/status`, checked against `dpkg-query`.

use std::collections::BTreeMap;
use std::path::Path;

use vedette_sbom::cataloger::dpkg::DpkgCataloger;

use crate::util::{TestResult, catalog_file, run};

#[test]
fn every_installed_package_matches_dpkg_query() -> TestResult {
    let reference = run(
        "dpkg-query",
        &[
            "-W",
            "-f",
            "${Package}\t${Version}\t${source:Package}\t${db:Status-Abbrev}\n",
        ],
        None,
    );
    let mut expected = BTreeMap::new();
    for line in reference.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        if let [name, version, source, status] = fields.as_slice()
            && status.starts_with("ii")
        {
            expected.insert(name.to_string(), (version.to_string(), source.to_string()));
        }
    }
    assert!(
        expected.len() > 50,
        "dpkg-query listed only {} packages",
        expected.len()
    );

    let found = catalog_file(&DpkgCataloger, Path::new("/var/lib/dpkg/status"))?;
    let mut got = BTreeMap::new();
    for p in &found.packages {
        got.insert(
            p.name.clone(),
            (p.version.clone(), p.source_or_name().to_string()),
        );
    }
    assert_eq!(got, expected);
    for name in ["bash", "libc6"] {
        assert!(got.contains_key(name), "{name} not found");
    }
    assert_eq!(got.get("libc6").map(|(_, s)| s.as_str()), Some("glibc"));
    Ok(())
}

#[test]
fn a_jar_owned_by_a_debian_package_is_not_a_second_package() -> TestResult {
    // This machine's liblog4j2-java: its .list file names the jar.
    let list = std::fs::read_to_string("/var/lib/dpkg/info/liblog4j2-java.list")
        .map_err(|e| format!("{e}: run crates/sbom/tests/prepare.sh (apt liblog4j2-java)"))?;
    let jar = list
        .lines()
        .find(|l| l.starts_with("/usr/share/java/log4j-core-") && l.ends_with(".jar"))
        .ok_or("no log4j-core jar in liblog4j2-java.list")?;
    let root = tempfile::tempdir()?;
    let r = root.path();
    for dir in ["var/lib/dpkg/info", "usr/share/java", "opt/app/lib"] {
        std::fs::create_dir_all(r.join(dir))?;
    }
    std::fs::copy("/var/lib/dpkg/status", r.join("var/lib/dpkg/status"))?;
    std::fs::copy(
        "/var/lib/dpkg/info/liblog4j2-java.list",
        r.join("var/lib/dpkg/info/liblog4j2-java.list"),
    )?;
    std::fs::copy(jar, r.join(jar.trim_start_matches('/')))?;
    std::fs::copy(jar, r.join("opt/app/lib/log4j-core.jar"))?;
    let sbom = vedette_sbom::catalog(&vedette_sbom::source::DirSource::open(r)?)?;
    let maven: Vec<_> = sbom
        .packages
        .iter()
        .filter(|p| p.purl.starts_with("pkg:maven/"))
        .collect();
    assert_eq!(maven.len(), 1, "{maven:?}");
    assert_eq!(
        maven[0].locations,
        ["/opt/app/lib/log4j-core.jar"],
        "the Debian-owned copy is covered by the deb"
    );
    assert!(sbom.packages.iter().any(|p| p.name == "liblog4j2-java"));
    Ok(())
}

#[test]
fn a_root_without_os_release_falls_back_on_debian_version() -> TestResult {
    let text = std::fs::read_to_string("/etc/debian_version")
        .map_err(|e| format!("/etc/debian_version: {e}"))?;
    let major = text
        .trim()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string();
    let root = tempfile::tempdir()?;
    let r = root.path();
    std::fs::create_dir_all(r.join("etc"))?;
    std::fs::create_dir_all(r.join("var/lib/dpkg"))?;
    std::fs::copy("/etc/debian_version", r.join("etc/debian_version"))?;
    std::fs::copy("/var/lib/dpkg/status", r.join("var/lib/dpkg/status"))?;
    let sbom = vedette_sbom::catalog(&vedette_sbom::source::DirSource::open(r)?)?;
    let distro = sbom.distro.ok_or("no distro from /etc/debian_version")?;
    assert_eq!(
        (distro.id.as_str(), distro.version_id.as_str()),
        ("debian", major.as_str())
    );
    let bash = sbom
        .packages
        .iter()
        .find(|p| p.name == "bash")
        .ok_or("bash")?;
    assert!(
        bash.purl.contains(&format!("distro=debian-{major}")),
        "{}",
        bash.purl
    );
    Ok(())
}
