//! Which container a process belongs to, from its cgroup paths.
//!
//! Hand-written on purpose: no crate covers the naming schemes of every
//! runtime, and the rule is short. A container id is the 64-hex segment of a
//! cgroup path, after stripping the runtime's prefix and `.scope` suffix:
//!
//! | runtime | cgroup v1 | cgroup v2 (systemd driver) |
//! |---|---|---|
//! | Docker | `/docker/<id>` | `/system.slice/docker-<id>.scope` |
//! | containerd (Kubernetes) | `/kubepods/…/pod<uid>/<id>` | `…/cri-containerd-<id>.scope` |
//! | CRI-O | `/kubepods/…/crio-<id>` | `…/crio-<id>.scope` |
//! | Podman | `/libpod_parent/libpod-<id>` | `/machine.slice/libpod-<id>.scope/container` |
//!
//! Monitor processes (`crio-conmon-…`, `libpod-conmon-…`) are not in the container.

/// Prefixes runtimes put before the id.
const PREFIXES: [&str; 5] = [
    "docker-",
    "cri-containerd-",
    "crio-",
    "libpod-",
    "containerd-",
];

/// Monitor scopes that sit next to a container but are not in it.
const MONITORS: [&str; 2] = ["crio-conmon-", "libpod-conmon-"];

/// The container id in one cgroup path, if any.
pub fn container_id_from_path(path: &str) -> Option<&str> {
    for segment in path.rsplit('/') {
        if MONITORS.iter().any(|m| segment.starts_with(m)) {
            return None;
        }
        let segment = segment.strip_suffix(".scope").unwrap_or(segment);
        let id = PREFIXES
            .iter()
            .find_map(|p| segment.strip_prefix(p))
            .unwrap_or(segment);
        if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(id);
        }
    }
    None
}

/// The container id in the text of `/proc/<pid>/cgroup` (lines
/// `hierarchy:controllers:path`), if any line names one.
pub fn container_id_from_cgroup_file(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .find_map(container_id_from_path)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f7a1c2b9d8e4f5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c";

    #[test]
    fn finds_ids_in_real_world_cgroup_lines() {
        let cases: Vec<(String, Option<&str>)> = vec![
            // Docker, cgroup v1 (cgroupfs driver).
            (format!("12:memory:/docker/{ID}"), Some(ID)),
            // Docker, cgroup v2 with the systemd driver.
            (format!("0::/system.slice/docker-{ID}.scope"), Some(ID)),
            // Docker in Docker: the innermost id wins.
            (
                format!("0::/docker/{}/docker/{ID}", "a".repeat(64)),
                Some(ID),
            ),
            // containerd under Kubernetes, cgroup v1.
            (
                format!(
                    "4:cpu,cpuacct:/kubepods/burstable/pod6a1b3c4d-1111-2222-3333-444455556666/{ID}"
                ),
                Some(ID),
            ),
            // containerd under Kubernetes, cgroup v2 systemd driver.
            (
                format!(
                    "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6a1b3c4d_1111.slice/cri-containerd-{ID}.scope"
                ),
                Some(ID),
            ),
            // CRI-O.
            (
                format!(
                    "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podabc.slice/crio-{ID}.scope"
                ),
                Some(ID),
            ),
            (format!("0::/kubepods.slice/crio-conmon-{ID}.scope"), None),
            // Podman (rootful, cgroup v2, and v1).
            (
                format!("0::/machine.slice/libpod-{ID}.scope/container"),
                Some(ID),
            ),
            (
                format!("1:name=systemd:/libpod_parent/libpod-{ID}"),
                Some(ID),
            ),
            (format!("0::/machine.slice/libpod-conmon-{ID}.scope"), None),
            // Host processes and namespaced cgroups.
            ("0::/init.scope".into(), None),
            ("0::/system.slice/ssh.service".into(), None),
            (
                "0::/user.slice/user-1000.slice/session-2.scope".into(),
                None,
            ),
            ("0::/".into(), None),
        ];
        for (line, expected) in cases {
            assert_eq!(
                container_id_from_cgroup_file(&line).as_deref(),
                expected,
                "{line}"
            );
        }
    }

    #[test]
    fn this_test_process_is_not_in_a_container() {
        // The test runs directly on this machine.
        let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        assert_eq!(container_id_from_cgroup_file(&text), None, "{text}");
    }
}
