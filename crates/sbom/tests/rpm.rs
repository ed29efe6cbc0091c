//! rpm databases in the SQLite, Berkeley DB and ndb backends
//! (testdata/rpm, see its README for how they were made).

use vedette_sbom::cataloger::rpm::RpmCataloger;

use crate::util::{TestResult, catalog_file, ids, testdata};

const EXPECTED: [&str; 3] = [
    "hello@1.2.3-4.vd",
    "kernel-core@5.14.0-362.el9",
    "openssl-libs@1:3.0.7-27.el9",
];

#[test]
fn all_three_backends_give_the_same_packages() -> TestResult {
    for file in [
        "rpm/rpmdb.sqlite",
        "rpm/Packages",
        "rpm/bdb-16k/Packages",
        "rpm/Packages.db",
    ] {
        let found = catalog_file(&RpmCataloger, &testdata(file))?;
        assert_eq!(ids(&found.packages), EXPECTED, "{file}");
        assert!(found.warnings.is_empty(), "{file}: {:?}", found.warnings);
        let openssl = found
            .packages
            .iter()
            .find(|p| p.name == "openssl-libs")
            .ok_or("openssl-libs")?;
        assert_eq!(openssl.source_name.as_deref(), Some("openssl-libs"));
        assert_eq!(openssl.licenses, ["Apache-2.0"]);
        assert_eq!(openssl.arch.as_deref(), Some("noarch"));
        let kernel = found
            .packages
            .iter()
            .find(|p| p.name == "kernel-core")
            .ok_or("kernel-core")?;
        assert!(kernel.kernel, "kernel-core is a kernel package");
    }
    Ok(())
}

#[test]
fn rpm_purls_carry_epoch_and_distro() -> TestResult {
    let root = tempfile::tempdir()?;
    std::fs::create_dir_all(root.path().join("var/lib/rpm"))?;
    std::fs::create_dir_all(root.path().join("etc"))?;
    std::fs::copy(
        testdata("rpm/rpmdb.sqlite"),
        root.path().join("var/lib/rpm/rpmdb.sqlite"),
    )?;
    std::fs::write(
        root.path().join("etc/os-release"),
        "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
    )?;
    let sbom = vedette_sbom::catalog(&vedette_sbom::source::DirSource::open(root.path())?)?;
    let purls: Vec<&str> = sbom.packages.iter().map(|p| p.purl.as_str()).collect();
    assert!(
        purls.contains(
            &"pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=noarch&distro=rocky-9.3&epoch=1"
        ),
        "{purls:?}"
    );
    assert_eq!(sbom.packages[0].locations, ["/var/lib/rpm/rpmdb.sqlite"]);
    Ok(())
}

#[test]
fn python_metadata_owned_by_an_rpm_is_not_a_second_package() -> TestResult {
    let root = tempfile::tempdir()?;
    let r = root.path();
    let owned = "usr/lib/python3.9/site-packages/hello-1.2.3.dist-info";
    let unowned = "usr/local/lib/python3.9/site-packages/hello-1.2.3.dist-info";
    for dir in ["var/lib/rpm", owned, unowned] {
        std::fs::create_dir_all(r.join(dir))?;
    }
    std::fs::copy(
        testdata("rpm/Packages.db"),
        r.join("var/lib/rpm/Packages.db"),
    )?;
    for dir in [owned, unowned] {
        std::fs::write(
            r.join(dir).join("METADATA"),
            "Metadata-Version: 2.1\nName: hello\nVersion: 1.2.3\n",
        )?;
    }
    let sbom = vedette_sbom::catalog(&vedette_sbom::source::DirSource::open(r)?)?;
    let pypi: Vec<_> = sbom
        .packages
        .iter()
        .filter(|p| p.purl.starts_with("pkg:pypi/"))
        .collect();
    assert_eq!(pypi.len(), 1, "{pypi:?}");
    assert_eq!(
        pypi[0].locations,
        [format!("/{unowned}/METADATA")],
        "only the copy pip installed outside the rpm remains"
    );
    assert!(
        sbom.packages
            .iter()
            .any(|p| p.purl.starts_with("pkg:rpm/") && p.name == "hello")
    );
    Ok(())
}
