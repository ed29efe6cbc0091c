//! Realistic source trees built in a temporary folder: planted secrets must be found with the
//! exact rule, line and column; look-alikes (hashes, UUIDs, base64 blobs, lock-file integrity
//! hashes, documentation example keys, placeholders) must not; no planted value may appear in
//! any serialized or `Debug` output.

use std::collections::BTreeSet;
use std::path::Path;

use vedette_secrets::{Ruleset, ScanOptions, ScanReport, Scanner};

use crate::util::{Rng, write};

/// Planted secrets: (relative path, line, rule id, value).
struct Tree {
    planted: Vec<(String, u32, &'static str, String)>,
}

impl Tree {
    fn plant(&mut self, path: &str, line: u32, rule: &'static str, value: &str) {
        self.planted
            .push((path.to_owned(), line, rule, value.to_owned()));
    }
}

/// Builds the tree and returns what was planted.
fn build(root: &Path) -> (Tree, usize) {
    let mut rng = Rng::new(0x5EC2E7);
    let mut tree = Tree {
        planted: Vec::new(),
    };

    // Python settings: a Django secret key, AWS keys, and look-alikes.
    let django = rng.base62(50);
    let akid = format!("AKIA{}", rng.chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let aws_secret = rng.chars(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
    );
    let settings = format!(
        "import os\n\
         \n\
         DEBUG = False\n\
         SECRET_KEY = \"{django}\"\n\
         AWS_ACCESS_KEY_ID = \"{akid}\"\n\
         AWS_SECRET_ACCESS_KEY = \"{aws_secret}\"\n\
         # documentation values, not secrets\n\
         EXAMPLE_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\n\
         EXAMPLE_SECRET = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n\
         DB_PASSWORD = os.environ[\"DB_PASSWORD\"]\n\
         REQUEST_ID = \"{uuid}\"\n\
         CACHE_DIGEST = \"{sha}\"\n",
        uuid = rng.uuid(),
        sha = rng.hex(64),
    );
    write(root, "app/settings.py", &settings);
    tree.plant("app/settings.py", 4, "generic-secret", &django);
    tree.plant("app/settings.py", 5, "aws-access-key-id", &akid);
    tree.plant("app/settings.py", 6, "aws-secret-access-key", &aws_secret);

    // A dotenv file.
    let stripe = format!("sk_live_{}", rng.base62(99));
    let pg_password = rng.base62(20);
    let session = rng.base62(32);
    let env = format!(
        "# local settings\n\
         STRIPE_SECRET_KEY={stripe}\n\
         DATABASE_URL=postgresql://app:{pg_password}@db.internal:5432/app\n\
         SESSION_SECRET={session}\n\
         LOG_LEVEL=info\n\
         SENTRY_ENVIRONMENT=production\n\
         API_TOKEN=${{API_TOKEN}}\n\
         ADMIN_PASSWORD=changeme\n"
    );
    write(root, ".env", &env);
    tree.plant(".env", 2, "stripe-secret-key", &stripe);
    tree.plant(".env", 3, "postgres-url-password", &pg_password);
    tree.plant(".env", 4, "dotenv-secret", &session);

    // JavaScript: a Slack bot token; look-alikes: UUIDs, hashes, a base64 image.
    let slack = format!(
        "xoxb-{}-{}-{}",
        rng.chars(b"0123456789", 12),
        rng.chars(b"0123456789", 13),
        rng.base62(24)
    );
    let js = format!(
        "const {{ WebClient }} = require('@slack/web-api');\n\
         const sessionId = '{uuid}';\n\
         const etag = \"{sha1}\";\n\
         const logo = 'data:image/png;base64,{blob}';\n\
         const client = new WebClient('{slack}');\n\
         const tokenUrl = 'https://slack.com/api/oauth.v2.access';\n\
         const placeholder = '<your-slack-token>';\n",
        uuid = rng.uuid(),
        sha1 = rng.hex(40),
        blob = rng.base64_bytes(300),
    );
    write(root, "web/src/slack.js", &js);
    tree.plant("web/src/slack.js", 5, "slack-bot-token", &slack);

    // Go: a valid GitHub token, one with a wrong checksum (must not match).
    let github = rng.github("ghp");
    let mut broken = rng.github("ghp");
    let last = if broken.ends_with('A') { 'B' } else { 'A' };
    broken.pop();
    broken.push(last);
    let go = format!(
        "package main\n\
         \n\
         // ciToken is used by the release job.\n\
         const ciToken = \"{github}\"\n\
         const notAToken = \"{broken}\"\n\
         var sum = \"h1:{gosum}=\"\n",
        gosum = rng.base64_bytes(32).trim_end_matches('='),
    );
    write(root, "cmd/release/main.go", &go);
    tree.plant("cmd/release/main.go", 4, "github-pat-classic", &github);

    // Java: a JDBC URL with a password.
    let jdbc_password = rng.base62(16);
    let java = format!(
        "package com.acme;\n\
         \n\
         public class Db {{\n\
         \x20   static final String URL = \"jdbc:sqlserver://db:1433;databaseName=app;user=sa;password={jdbc_password}\";\n\
         \x20   static final String HASH = \"{sha}\";\n\
         }}\n",
        sha = rng.hex(64),
    );
    write(root, "src/main/java/com/acme/Db.java", &java);
    tree.plant(
        "src/main/java/com/acme/Db.java",
        4,
        "jdbc-password",
        &jdbc_password,
    );

    // YAML: a Kubernetes Secret.
    let k8s_value = rng.base64_bytes(24);
    let yaml = format!(
        "apiVersion: v1\n\
         kind: Secret\n\
         metadata:\n\
         \x20 name: api\n\
         type: Opaque\n\
         data:\n\
         \x20 api-key: {k8s_value}\n"
    );
    write(root, "deploy/k8s/secret.yaml", &yaml);
    tree.plant(
        "deploy/k8s/secret.yaml",
        7,
        "kubernetes-secret-data",
        &k8s_value,
    );

    // Terraform: the AWS documentation key (allowlisted) and a real-looking DigitalOcean token.
    let dop = format!("dop_v1_{}", rng.hex(64));
    let tf = format!(
        "provider \"aws\" {{\n\
         \x20 access_key = \"AKIAIOSFODNN7EXAMPLE\"\n\
         \x20 secret_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n\
         }}\n\
         provider \"digitalocean\" {{\n\
         \x20 token = \"{dop}\"\n\
         }}\n\
         variable \"db_password\" {{\n\
         \x20 default = var.db_password\n\
         }}\n"
    );
    write(root, "infra/main.tf", &tf);
    tree.plant("infra/main.tf", 6, "digitalocean-pat", &dop);

    // A Jupyter notebook with an OpenAI key inside a JSON-escaped source line.
    let openai = format!("sk-proj-{}T3BlbkFJ{}", rng.base62(74), rng.base62(74));
    let notebook = format!(
        "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"metadata\": {{}},\n   \"source\": [\n    \"import openai\\n\",\n    \"openai.api_key = '{openai}'\\n\"\n   ]\n  }}\n ],\n \"nbformat\": 4\n}}\n"
    );
    write(root, "notebooks/analysis.ipynb", &notebook);
    tree.plant("notebooks/analysis.ipynb", 8, "openai-api-key", &openai);

    // Minified JavaScript: one 400 KB line with a Google API key in the middle.
    let gkey = format!(
        "AIza{}",
        rng.chars(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-",
            35
        )
    );
    let mut min = String::new();
    while min.len() < 200_000 {
        min.push_str(&format!(
            "function a{}(b){{return b*{}}};",
            rng.hex(4),
            rng.hex(6)
        ));
    }
    let column = min.len() + "var k=\"".len() + 1;
    min.push_str(&format!("var k=\"{gkey}\";"));
    while min.len() < 400_000 {
        min.push_str(&format!(
            "var h{}=\"{}\";",
            rng.hex(4),
            rng.base64_bytes(30)
        ));
    }
    min.push('\n');
    write(root, "web/dist/app.min.js", &min);
    tree.plant("web/dist/app.min.js", 1, "gcp-api-key", &gkey);

    // Lock files: integrity hashes everywhere, no secret.
    let mut lock =
        String::from("{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
    for i in 0..200 {
        lock.push_str(&format!(
            "    \"node_modules/pkg{i}\": {{\n      \"version\": \"1.{i}.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg{i}/-/pkg{i}-1.{i}.0.tgz\",\n      \"integrity\": \"sha512-{}\"\n    }},\n",
            rng.base64_bytes(64)
        ));
    }
    lock.push_str("  }\n}\n");
    write(root, "web/package-lock.json", &lock);
    let mut cargo_lock = String::new();
    for i in 0..100 {
        cargo_lock.push_str(&format!(
            "[[package]]\nname = \"crate{i}\"\nversion = \"0.{i}.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n\n",
            rng.hex(64)
        ));
    }
    write(root, "Cargo.lock", &cargo_lock);
    let mut yarn = String::new();
    for i in 0..100 {
        yarn.push_str(&format!(
            "\"left-pad@^1.{i}.0\":\n  version \"1.{i}.0\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.{i}.0.tgz#{}\"\n  integrity sha512-{}\n\n",
            rng.hex(40),
            rng.base64_bytes(64)
        ));
    }
    write(root, "yarn.lock", &yarn);

    // Documentation with placeholders only.
    write(
        root,
        "README.md",
        "# Setup\n\nexport GITHUB_TOKEN=<your-token>\nexport OPENAI_API_KEY=${OPENAI_API_KEY}\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         password: \"xxxxxxxxxxxx\"\napi_key: \"YOUR_API_KEY_HERE\"\n",
    );

    // An SSH private key.
    let mut key = String::from("-----BEGIN OPENSSH PRIVATE KEY-----\n");
    let body_first = format!(
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAA{}",
        rng.base62(14)
    );
    key.push_str(&body_first);
    key.push('\n');
    let mut body = body_first.clone();
    for _ in 0..5 {
        let line = rng.base62(70);
        key.push_str(&line);
        key.push('\n');
        body.push('\n');
        body.push_str(&line);
    }
    key.push_str("-----END OPENSSH PRIVATE KEY-----\n");
    write(root, "home/ci/.ssh/id_ed25519", &key);
    tree.plant("home/ci/.ssh/id_ed25519", 2, "openssh-private-key", &body);

    (tree, column)
}

/// (path, line, rule) of each finding, relative to `root`.
fn found(report: &ScanReport, root: &Path) -> BTreeSet<(String, u32, String)> {
    report
        .findings
        .iter()
        .map(|f| {
            let rel = f.file.strip_prefix(root).unwrap_or(&f.file);
            (
                rel.to_string_lossy().into_owned(),
                f.line,
                f.rule_id.clone(),
            )
        })
        .collect()
}

#[test]
fn planted_secrets_are_found_exactly_and_never_leaked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let (tree, column) = build(root);
    let scanner =
        Scanner::new(Ruleset::builtin().expect("rules"), ScanOptions::default()).expect("scanner");
    let report = scanner.scan_path(root);

    let expected: BTreeSet<(String, u32, String)> = tree
        .planted
        .iter()
        .map(|(p, l, r, _)| (p.clone(), *l, (*r).to_owned()))
        .collect();
    assert_eq!(
        found(&report, root),
        expected,
        "findings differ from the planted secrets"
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.files_scanned, 14);

    // Hashes and masks identify the planted value without revealing it.
    for (path, line, rule, value) in &tree.planted {
        let f = report
            .findings
            .iter()
            .find(|f| f.file.ends_with(path) && f.line == *line && f.rule_id == *rule)
            .expect("planted finding");
        assert_eq!(f.secret_len, value.len(), "{rule}");
        assert_eq!(f.secret_sha256, sha256_hex(value.as_bytes()), "{rule}");
        assert!(
            f.masked.len() <= 20 && !f.masked.contains(&value[4.min(value.len())..]),
            "{rule}"
        );
    }

    // The minified line's column points at the key.
    let gkey = report
        .findings
        .iter()
        .find(|f| f.rule_id == "gcp-api-key")
        .expect("gcp key");
    assert_eq!(gkey.column as usize, column);

    // No planted value (nor its unmasked tail) in JSON or Debug output.
    let json = serde_json::to_string(&report).expect("json");
    let debug = format!("{report:?}");
    for (_, _, rule, value) in &tree.planted {
        let tail = &value[value.len() / 4..];
        assert!(!json.contains(tail), "{rule} leaked in JSON");
        assert!(!debug.contains(tail), "{rule} leaked in Debug");
    }
}

#[test]
fn scan_bytes_and_scan_path_agree_and_threads_do_not_change_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    build(root);
    let rules = Ruleset::builtin().expect("rules");
    let one = Scanner::new(
        rules.clone(),
        ScanOptions {
            threads: 1,
            ..ScanOptions::default()
        },
    )
    .expect("scanner")
    .scan_path(root);
    let many = Scanner::new(
        rules,
        ScanOptions {
            threads: 4,
            ..ScanOptions::default()
        },
    )
    .expect("scanner")
    .scan_path(root);
    assert_eq!(one.findings, many.findings);
}

#[test]
fn test_folders_are_skipped_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let mut rng = Rng::new(7);
    let token = rng.github("ghp");
    write(
        root,
        "tests/fixtures/ci.env",
        &format!("GITHUB_TOKEN={token}\n"),
    );
    write(
        root,
        "vendor/lib/config.py",
        &format!("TOKEN = '{token}'\n"),
    );
    let rules = Ruleset::builtin().expect("rules");
    let all = Scanner::new(rules.clone(), ScanOptions::default())
        .expect("scanner")
        .scan_path(root);
    assert_eq!(all.findings.len(), 2);
    let skipping = ScanOptions {
        skip_test_paths: true,
        ..ScanOptions::default()
    };
    let some = Scanner::new(rules, skipping)
        .expect("scanner")
        .scan_path(root);
    assert!(some.findings.is_empty(), "{:?}", some.findings);
    assert_eq!(some.stats.paths_excluded, 2);
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(data))
}

#[test]
fn progress_is_reported_once_per_file_and_scanner_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    build(root);
    let scanner =
        Scanner::new(Ruleset::builtin().expect("rules"), ScanOptions::default()).expect("scanner");
    let files = std::sync::atomic::AtomicU64::new(0);
    let bytes = std::sync::atomic::AtomicU64::new(0);
    let report = scanner.scan_path_with_progress(root, &|event| {
        files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes.fetch_add(event.bytes, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(files.into_inner(), report.stats.files_scanned);
    assert_eq!(bytes.into_inner(), report.stats.bytes_scanned);
}
