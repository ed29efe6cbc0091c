//! The final check: every virtual sensor is online in the console's sensor
//! list, and the console's topology holds exactly the hosts, containers,
//! processes and images each virtual sensor last had acknowledged.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use serde::{Deserialize, Serialize};

use crate::driver::{SensorResult, SimulationConfig};

/// How the simulator authenticates as a console user.
#[derive(Debug, Clone)]
pub enum AdminAuth {
    /// An API token (`vdt_…`).
    Token(String),
    /// A user name and password (signs in for a session).
    Password {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
}

/// One level's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct LevelCheck {
    /// `hosts`, `containers`, `processes` or `images`.
    pub level: String,
    /// Nodes the simulator expects.
    pub expected: usize,
    /// Of those, how many the console has.
    pub found: usize,
    /// Sensors (or images) whose nodes differ, up to a few.
    pub mismatches: Vec<String>,
}

/// The console's answer to "is anything lost?".
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Sensors that had a report accepted.
    pub sensors_expected: usize,
    /// Of those, listed online.
    pub sensors_online: usize,
    /// Sensors not listed online, up to a few.
    pub not_online: Vec<String>,
    /// Per-level node comparisons.
    pub levels: Vec<LevelCheck>,
    /// True when nothing is missing anywhere.
    pub ok: bool,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<SensorItem>,
    total: i64,
}

#[derive(Deserialize)]
struct SensorItem {
    id: String,
    status: String,
}

#[derive(Deserialize)]
struct Graph {
    nodes: Vec<NodeItem>,
}

#[derive(Deserialize)]
struct NodeItem {
    id: String,
    kind: String,
    sensor_id: Option<String>,
}

struct Admin {
    client: reqwest::Client,
    base: reqwest::Url,
    header: (reqwest::header::HeaderName, String),
}

impl Admin {
    async fn get<T: for<'de> Deserialize<'de>>(&self, path: &str) -> Result<T, String> {
        let url = self.base.join(path).map_err(|e| e.to_string())?;
        let response = self
            .client
            .get(url)
            .header(self.header.0.clone(), &self.header.1)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            // The console refuses whole views above its node budget; the check needs them.
            let hint = if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
                " (the check compares whole views: start the console with a --topology-node-budget above the simulated fleet's node count)"
            } else {
                ""
            };
            return Err(format!(
                "GET {path}: HTTP {status}: {}{hint}",
                body.chars().take(300).collect::<String>()
            ));
        }
        response
            .json()
            .await
            .map_err(|e| format!("GET {path}: unexpected answer: {e}"))
    }
}

async fn sign_in(
    config: &SimulationConfig,
    admin: &AdminAuth,
    client: &reqwest::Client,
    base: &reqwest::Url,
) -> Result<(reqwest::header::HeaderName, String), String> {
    match admin {
        AdminAuth::Token(token) => Ok((AUTHORIZATION, format!("Bearer {token}"))),
        AdminAuth::Password { username, password } => {
            let url = base.join("api/v1/auth/login").map_err(|e| e.to_string())?;
            let response = client
                .post(url)
                .json(&serde_json::json!({ "username": username, "password": password }))
                .send()
                .await
                .map_err(|e| format!("sign-in: {e}"))?;
            if !response.status().is_success() {
                return Err(format!(
                    "signing in to {} as {username} failed: HTTP {}",
                    config.console_url,
                    response.status()
                ));
            }
            let cookie = response
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("vedette_session="))
                .and_then(|v| v.split(';').next())
                .ok_or("the console set no session cookie")?
                .to_string();
            Ok((COOKIE, cookie))
        }
    }
}

/// Compares what the console holds with what each sensor last had acknowledged.
pub async fn verify(
    config: &SimulationConfig,
    admin: &AdminAuth,
    results: &[SensorResult],
) -> Result<Verification, String> {
    let tls = vedette_client::tls_config(&config.trust).map_err(|e| e.to_string())?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(|e| e.to_string())?;
    let mut base = config.console_url.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    let header = sign_in(config, admin, &client, &base).await?;
    let admin = Admin {
        client,
        base,
        header,
    };
    let acknowledged: HashMap<&str, &crate::generator::Counts> = results
        .iter()
        .filter_map(|r| Some((r.sensor_id.as_deref()?, r.acknowledged.as_ref()?)))
        .collect();
    // Sensors, page by page.
    let mut online = HashSet::new();
    let mut offset = 0;
    loop {
        let page: Page = admin
            .get(&format!("api/v1/sensors?limit=500&offset={offset}"))
            .await?;
        let got = page.items.len();
        for sensor in page.items {
            if sensor.status == "online" {
                online.insert(sensor.id);
            }
        }
        offset += got;
        if got == 0 || offset as i64 >= page.total {
            break;
        }
    }
    let mut not_online: Vec<String> = acknowledged
        .keys()
        .filter(|id| !online.contains(**id))
        .map(|id| (*id).to_string())
        .collect();
    not_online.sort();
    let sensors_online = acknowledged.len() - not_online.len();
    not_online.truncate(10);
    let mut levels = Vec::new();
    for level in ["hosts", "containers", "processes", "images"] {
        let graph: Graph = admin.get(&format!("api/v1/topology?level={level}")).await?;
        levels.push(compare(level, &graph, &acknowledged));
    }
    let ok = not_online.is_empty()
        && levels
            .iter()
            .all(|l| l.mismatches.is_empty() && l.found == l.expected);
    Ok(Verification {
        sensors_expected: acknowledged.len(),
        sensors_online,
        not_online,
        levels,
        ok,
    })
}

fn compare(
    level: &str,
    graph: &Graph,
    acknowledged: &HashMap<&str, &crate::generator::Counts>,
) -> LevelCheck {
    let mut mismatches = Vec::new();
    let (expected, found) = if level == "images" {
        let expected: BTreeSet<&str> = acknowledged
            .values()
            .flat_map(|c| c.images.iter().map(String::as_str))
            .collect();
        let present: HashSet<&str> = graph
            .nodes
            .iter()
            .filter(|n| n.kind == "image")
            .filter_map(|n| n.id.strip_prefix("image:"))
            .collect();
        let missing: Vec<String> = expected
            .iter()
            .filter(|id| !present.contains(*id))
            .map(|id| format!("image {id} missing"))
            .collect();
        let found = expected.len() - missing.len();
        mismatches.extend(missing);
        (expected.len(), found)
    } else {
        let kind = match level {
            "hosts" => "host",
            "containers" => "container",
            _ => "process",
        };
        let mut per_sensor: HashMap<&str, usize> = HashMap::new();
        for node in graph.nodes.iter().filter(|n| n.kind == kind) {
            if let Some(sensor) = node.sensor_id.as_deref() {
                *per_sensor.entry(sensor).or_default() += 1;
            }
        }
        let mut expected_total = 0;
        let mut found_total = 0;
        for (sensor, counts) in acknowledged {
            let expected = match level {
                "hosts" => 1,
                "containers" => counts.containers,
                _ => counts.processes,
            };
            let found = per_sensor.get(sensor).copied().unwrap_or(0);
            expected_total += expected;
            found_total += found.min(expected);
            if found != expected {
                mismatches.push(format!(
                    "sensor {sensor}: expected {expected}, found {found}"
                ));
            }
        }
        (expected_total, found_total)
    };
    mismatches.sort();
    mismatches.truncate(10);
    LevelCheck {
        level: level.to_string(),
        expected,
        found,
        mismatches,
    }
}
