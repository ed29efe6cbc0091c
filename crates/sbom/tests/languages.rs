//! Language packages installed or built for real: Python (pip), Node (npm),
//! Java (Debian's log4j jars), Go and Rust (built here).

use std::collections::BTreeSet;
use std::path::Path;

use vedette_model::package::PackageType;
use vedette_sbom::cataloger::golang::GoBinaryCataloger;
use vedette_sbom::cataloger::java::JavaCataloger;
use vedette_sbom::cataloger::node::NodeLockCataloger;
use vedette_sbom::cataloger::rust::{AuditableBinaryCataloger, CargoLockCataloger};
use vedette_sbom::source::DirSource;

use crate::util::{TestResult, catalog_file, fixture, ids, run};

/// Catalogs a directory and keeps the packages of one type.
fn scan(
    dir: &Path,
    ty: PackageType,
) -> Result<(Vec<String>, vedette_sbom::Sbom), vedette_sbom::Error> {
    let sbom = vedette_sbom::catalog(&DirSource::open(dir)?)?;
    let found = ids(&sbom
        .packages
        .iter()
        .filter(|p| p.package_type == ty)
        .cloned()
        .collect::<Vec<_>>());
    Ok((found, sbom))
}

#[test]
fn python_packages_installed_by_pip() -> TestResult {
    let dir = fixture("python");
    let listed = run(
        &vedette_testkit::python().display().to_string(),
        &[
            "-m",
            "pip",
            "list",
            "--path",
            &dir.display().to_string(),
            "--format",
            "json",
        ],
        None,
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(&listed)?;
    let expected: Vec<String> = ids(&listed
        .iter()
        .filter_map(|p| {
            Some(vedette_model::package::Package::new(
                PackageType::Pypi,
                p["name"].as_str()?,
                p["version"].as_str()?,
            ))
        })
        .collect::<Vec<_>>());
    let (found, sbom) = scan(&dir, PackageType::Pypi)?;
    assert_eq!(found, expected);
    assert!(
        found.contains(&"six@1.16.0".to_string()) && found.contains(&"requests@2.31.0".to_string())
    );
    let requests = sbom
        .packages
        .iter()
        .find(|p| p.name == "requests")
        .ok_or("requests missing")?;
    assert_eq!(requests.purl, "pkg:pypi/requests@2.31.0");
    assert!(
        requests.locations[0].ends_with("/requests-2.31.0.dist-info/METADATA"),
        "{:?}",
        requests.locations
    );
    Ok(())
}

#[test]
fn node_modules_installed_by_npm_and_their_lock_file() -> TestResult {
    let dir = fixture("node");
    let listed = run("npm", &["ls", "--all", "--parseable", "--long"], Some(&dir));
    let expected: BTreeSet<String> = listed
        .lines()
        .skip(1) // the project itself
        .filter_map(|l| l.split(':').nth(1).map(str::to_string))
        .collect();
    assert!(
        expected.len() > 20,
        "npm ls listed {} packages",
        expected.len()
    );
    let (found, _) = scan(&dir.join("node_modules"), PackageType::Npm)?;
    // The scan root is node_modules itself: its children are packages.
    let found: BTreeSet<String> = found.into_iter().collect();
    let (with_root, _) = scan(&dir, PackageType::Npm)?;
    let with_root: BTreeSet<String> = with_root.into_iter().collect();
    assert_eq!(with_root, expected, "installed + lock file");
    assert!(found.is_subset(&expected));
    let lock = catalog_file(&NodeLockCataloger, &dir.join("package-lock.json"))?;
    let lock: BTreeSet<String> = ids(&lock.packages).into_iter().collect();
    assert_eq!(lock, expected, "package-lock.json v3");
    assert!(expected.contains("@babel/code-frame@7.22.13") && expected.contains("lodash@4.17.21"));
    Ok(())
}

#[test]
fn log4j_jars_from_debian() -> TestResult {
    let jar = std::fs::read_dir("/usr/share/java")?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            name.starts_with("log4j-core-") && name.ends_with(".jar")
        })
        .unwrap_or_else(|| panic!("no /usr/share/java/log4j-core-*.jar: run crates/sbom/tests/prepare.sh (apt liblog4j2-java)"));
    let deb_version = run(
        "dpkg-query",
        &["-W", "-f", "${Version}", "liblog4j2-java"],
        None,
    );
    let upstream = deb_version
        .split('-')
        .next()
        .unwrap_or_default()
        .to_string();
    let found = catalog_file(&JavaCataloger, &jar)?;
    assert_eq!(
        ids(&found.packages),
        [format!("org.apache.logging.log4j:log4j-core@{upstream}")]
    );
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    Ok(())
}

#[test]
fn go_binary_built_here_matches_go_version_m() -> TestResult {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::create_dir_all(d.join("greet"))?;
    std::fs::write(
        d.join("greet/go.mod"),
        "module example.com/vedette/greet\n\ngo 1.18\n",
    )?;
    std::fs::write(
        d.join("greet/greet.go"),
        "package greet\n\nfunc Hello() string { return \"hello\" }\n",
    )?;
    std::fs::write(
        d.join("go.mod"),
        "module example.com/vedette/hello\n\ngo 1.18\n\nrequire example.com/vedette/greet v0.1.0\n\nreplace example.com/vedette/greet => ./greet\n",
    )?;
    std::fs::write(
        d.join("main.go"),
        "package main\n\nimport \"example.com/vedette/greet\"\n\nfunc main() { println(greet.Hello()) }\n",
    )?;
    let cache = d.join("gocache");
    let out = std::process::Command::new("go")
        .args(["build", "-o", "hello", "."])
        .current_dir(d)
        .env("GOCACHE", &cache)
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run go ({e}): run crates/sbom/tests/prepare.sh (apt golang-go)")
        });
    assert!(
        out.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference = run("go", &["version", "-m", "hello"], Some(d));
    let go_version = reference
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .ok_or("no go version")?;
    let found = catalog_file(&GoBinaryCataloger, &d.join("hello"))?;
    let got = ids(&found.packages);
    assert!(
        got.contains(&format!("stdlib@v{}", go_version.trim_start_matches("go"))),
        "{got:?} vs {go_version}"
    );
    for line in reference.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.first() == Some(&"dep") {
            assert!(
                got.iter()
                    .any(|id| id.starts_with(&format!("{}@", fields[1]))),
                "{} not found in {got:?}",
                fields[1]
            );
        }
    }
    assert!(
        got.contains(&"example.com/vedette/greet@v0.1.0".to_string()),
        "{got:?}"
    );
    Ok(())
}

#[test]
fn rust_binary_built_with_cargo_auditable() -> TestResult {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::create_dir_all(d.join("src"))?;
    std::fs::write(
        d.join("Cargo.toml"),
        "[package]\nname = \"audited\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nitoa = \"1\"\n\n[workspace]\n",
    )?;
    std::fs::write(
        d.join("src/main.rs"),
        "fn main() { println!(\"{}\", itoa::Buffer::new().format(42)); }\n",
    )?;
    assert!(
        std::process::Command::new("cargo-auditable")
            .arg("--help")
            .output()
            .is_ok(),
        "cargo-auditable is missing: run crates/sbom/tests/prepare.sh"
    );
    let out = std::process::Command::new("cargo")
        .args(["auditable", "build", "--offline", "--quiet"])
        .current_dir(d)
        .env("CARGO_TARGET_DIR", d.join("target"))
        .env_remove("RUSTFLAGS")
        .output()?;
    assert!(
        out.status.success(),
        "cargo auditable build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binary = d.join("target/debug/audited");
    let found = catalog_file(&AuditableBinaryCataloger, &binary)?;
    let lock = catalog_file(&CargoLockCataloger, &d.join("Cargo.lock"))?;
    let from_lock: Vec<String> = ids(&lock.packages)
        .into_iter()
        .filter(|id| !id.starts_with("audited@"))
        .collect();
    assert_eq!(ids(&found.packages), from_lock);
    assert!(
        from_lock.iter().any(|id| id.starts_with("itoa@1.")),
        "{from_lock:?}"
    );
    Ok(())
}
