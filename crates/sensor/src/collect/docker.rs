//! The containers and images collector, from the Docker Engine API over its
//! unix socket (`bollard`).
//!
//! A missing socket is not an error: the host simply has no Docker, which is
//! logged once. The main pid and start time need one `inspect` per
//! container; they are cached and asked again only when a container's
//! state changes, so a steady host costs two list calls per interval.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use bollard;

use bollard::Docker;
use bollard::query_parameters::{ListContainersOptions, ListImagesOptions};
use vedette_model::wire::{CollectorStatus, Container, ContainerNetwork, Image, PortMapping};

/// Seconds allowed for each Docker Engine request.
const DOCKER_TIMEOUT_SECS: u64 = 10;

/// What `inspect` told about a container, kept while its state is unchanged.
#[derive(Debug, Clone)]
struct Inspected {
    state: String,
    pid: Option<u32>,
    started_at_ms: Option<i64>,
}

/// Collects containers and images.
pub struct DockerCollector {
    socket: PathBuf,
    docker: Option<Docker>,
    told_missing: bool,
    inspected: HashMap<String, Inspected>,
    /// Why the last collection listed nothing, when the Engine was not usable.
    failure: Option<String>,
}

impl DockerCollector {
    /// A collector for the Engine at `socket`.
    pub fn new(socket: PathBuf) -> Self {
        DockerCollector {
            socket,
            docker: None,
            told_missing: false,
            inspected: HashMap::new(),
            failure: None,
        }
    }

    /// Whether the last collection could list containers and images.
    pub fn status(&self) -> CollectorStatus {
        match &self.failure {
            None => CollectorStatus::active("docker"),
            Some(reason) => CollectorStatus::inactive("docker", reason.clone()),
        }
    }

    async fn connect(&mut self) -> Option<Docker> {
        if let Some(docker) = &self.docker {
            return Some(docker.clone());
        }
        if !self.socket.exists() {
            self.failure = Some(format!(
                "no Docker Engine socket at {}",
                self.socket.display()
            ));
            if !self.told_missing {
                tracing::info!(socket = %self.socket.display(), "no Docker Engine socket: no containers to report");
                self.told_missing = true;
            }
            return None;
        }
        let docker = match connect(&self.socket, DOCKER_TIMEOUT_SECS).await {
            Ok(docker) => docker,
            Err(err) => {
                tracing::warn!(socket = %self.socket.display(), error = %err, "cannot use the Docker Engine");
                self.failure = Some(format!(
                    "cannot use the Docker Engine at {}: {err}",
                    self.socket.display()
                ));
                return None;
            }
        };
        self.told_missing = false;
        self.docker = Some(docker.clone());
        Some(docker)
    }

    /// Replaces `containers` and `images` with what the Engine lists now.
    pub async fn collect(&mut self, containers: &mut Vec<Container>, images: &mut Vec<Image>) {
        containers.clear();
        images.clear();
        let Some(docker) = self.connect().await else {
            return;
        };
        let listed = match docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                ..Default::default()
            }))
            .await
        {
            Ok(listed) => listed,
            Err(err) => {
                tracing::warn!(error = %err, "cannot list containers");
                self.failure = Some(format!(
                    "the Docker Engine at {} did not list containers: {err}",
                    self.socket.display()
                ));
                // Reconnect next time: the daemon may have restarted.
                self.docker = None;
                return;
            }
        };
        self.failure = None;
        self.inspected
            .retain(|id, _| listed.iter().any(|c| c.id.as_deref() == Some(id)));
        for summary in listed {
            let Some(id) = summary.id else { continue };
            let state = summary.state.map(|s| s.to_string()).unwrap_or_default();
            let inspected = self.inspect(&docker, &id, &state).await;
            let mut ports: Vec<PortMapping> = summary
                .ports
                .unwrap_or_default()
                .into_iter()
                .map(|port| PortMapping {
                    container_port: port.private_port,
                    protocol: port
                        .typ
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "tcp".into()),
                    host_ip: port.ip,
                    host_port: port.public_port,
                })
                .collect();
            ports.sort_by(|a, b| {
                (a.container_port, &a.protocol, &a.host_ip).cmp(&(
                    b.container_port,
                    &b.protocol,
                    &b.host_ip,
                ))
            });
            let mut networks: Vec<ContainerNetwork> = summary
                .network_settings
                .and_then(|settings| settings.networks)
                .unwrap_or_default()
                .into_iter()
                .map(|(name, endpoint)| ContainerNetwork {
                    name,
                    ip: endpoint.ip_address.filter(|ip| !ip.is_empty()),
                })
                .collect();
            networks.sort_by(|a, b| a.name.cmp(&b.name));
            containers.push(Container {
                name: summary
                    .names
                    .and_then(|names| names.into_iter().next())
                    .map(|name| name.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: summary.image.unwrap_or_default(),
                image_id: summary.image_id.unwrap_or_default(),
                state,
                labels: summary.labels.unwrap_or_default().into_iter().collect(),
                ports,
                networks,
                pid: inspected.as_ref().and_then(|i| i.pid),
                created_at_ms: summary.created.unwrap_or(0) * 1000,
                started_at_ms: inspected.and_then(|i| i.started_at_ms),
                id,
            });
        }
        match docker.list_images(None::<ListImagesOptions>).await {
            Ok(listed) => images.extend(listed.into_iter().map(|image| {
                Image {
                    id: image.id,
                    tags: image
                        .repo_tags
                        .into_iter()
                        .filter(|t| t != "<none>:<none>")
                        .collect(),
                    digests: image
                        .repo_digests
                        .into_iter()
                        .filter(|d| d != "<none>@<none>")
                        .collect(),
                    size_bytes: u64::try_from(image.size).unwrap_or(0),
                    created_at_ms: image.created * 1000,
                }
            })),
            Err(err) => tracing::warn!(error = %err, "cannot list images"),
        }
    }

    /// The container's pid and start time, from the cache while its state holds.
    async fn inspect(&mut self, docker: &Docker, id: &str, state: &str) -> Option<Inspected> {
        if let Some(known) = self.inspected.get(id).filter(|known| known.state == state) {
            return Some(known.clone());
        }
        let response = docker.inspect_container(id, None).await.ok()?;
        let container_state = response.state.unwrap_or_default();
        let inspected = Inspected {
            state: state.to_string(),
            pid: container_state
                .pid
                .and_then(|pid| u32::try_from(pid).ok())
                .filter(|pid| *pid > 0),
            started_at_ms: container_state
                .started_at
                .as_deref()
                .and_then(parse_rfc3339_ms)
                .filter(|ms| *ms > 0),
        };
        self.inspected.insert(id.to_string(), inspected.clone());
        Some(inspected)
    }
}

/// A client of the Docker Engine at the unix socket `socket`, speaking the
/// Engine's API version (older daemons refuse newer ones). `timeout_secs`
/// bounds each request until its response starts. Shared with
/// `vedette scan image`, which streams `GET /images/{name}/get` through it.
pub async fn connect(socket: &Path, timeout_secs: u64) -> Result<Docker, bollard::errors::Error> {
    let path = socket
        .to_str()
        .ok_or_else(|| bollard::errors::Error::SocketNotFoundError(socket.display().to_string()))?;
    Docker::connect_with_unix(path, timeout_secs, bollard::API_DEFAULT_VERSION)?
        .negotiate_version()
        .await
}

/// Unix ms of an RFC 3339 time (`0001-01-01T00:00:00Z` for "never" gives a negative value).
fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    let time =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    i64::try_from(time.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_times() {
        assert_eq!(
            parse_rfc3339_ms("2024-01-02T03:04:05.123456789Z"),
            Some(1_704_164_645_123)
        );
        assert!(parse_rfc3339_ms("0001-01-01T00:00:00Z").is_some_and(|ms| ms < 0));
    }

    #[tokio::test]
    async fn a_missing_socket_means_no_containers() {
        let mut collector = DockerCollector::new("/nonexistent/docker.sock".into());
        let (mut containers, mut images) = (vec![], vec![]);
        collector.collect(&mut containers, &mut images).await;
        assert!(containers.is_empty() && images.is_empty());
        assert!(collector.told_missing);
        let status = collector.status();
        assert!(!status.active);
        assert_eq!(
            status.reason.as_deref(),
            Some("no Docker Engine socket at /nonexistent/docker.sock")
        );
    }
}
