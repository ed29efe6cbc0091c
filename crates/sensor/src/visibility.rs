//! Deciding what the sensor can see: the whole host, or only its own
//! container (Fargate-style).
//!
//! Rule for `auto`: the sensor sees the host when it is in the host's
//! initial pid namespace (its `/proc` lists every process of the host). The
//! kernel gives that namespace a fixed inode, `PROC_PID_INIT_INO`.

use std::path::Path;

use vedette_model::wire::Visibility;

use crate::root::HostRoot;

/// The inode of the kernel's initial pid namespace (`PROC_PID_INIT_INO` in
/// `include/linux/proc_ns.h`).
pub const INITIAL_PID_NAMESPACE: u64 = 0xEFFF_FFFC;

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VisibilityChoice {
    /// Host when the host's pid namespace is visible, else container-only.
    #[default]
    Auto,
    /// The whole host.
    Host,
    /// Only the sensor's own container.
    ContainerOnly,
}

/// Parses `<kind>:[<inode>]`, the target of a `/proc/<pid>/ns/<kind>` link.
pub fn parse_ns_link(target: &str) -> Option<u64> {
    let start = target.find('[')?;
    let end = target.rfind(']')?;
    target.get(start + 1..end)?.parse().ok()
}

/// The namespace inode of `kind` (`pid`, `net`) for `pid` under `proc`.
pub fn namespace_inode(proc: &Path, pid: &str, kind: &str) -> Option<u64> {
    let target = std::fs::read_link(proc.join(pid).join("ns").join(kind)).ok()?;
    parse_ns_link(target.to_str()?)
}

/// Resolves the operator's choice into what the sensor reports, with the reason.
pub fn resolve(choice: VisibilityChoice, root: &HostRoot) -> (Visibility, &'static str) {
    match choice {
        VisibilityChoice::Host => (Visibility::Host, "asked for host visibility"),
        VisibilityChoice::ContainerOnly => (
            Visibility::ContainerOnly,
            "asked for container-only visibility",
        ),
        VisibilityChoice::Auto => {
            // Our own pid namespace as the host's /proc shows it: with a
            // host root the sensor's pid may differ, so look at `self` in
            // the root's /proc and at pid 1.
            let proc = root.proc();
            let own = namespace_inode(&proc, "self", "pid");
            let first = namespace_inode(&proc, "1", "pid");
            if own == Some(INITIAL_PID_NAMESPACE) || first == Some(INITIAL_PID_NAMESPACE) {
                (
                    Visibility::Host,
                    "the host's initial pid namespace is visible",
                )
            } else {
                (
                    Visibility::ContainerOnly,
                    "the host's pid namespace is not visible (run with --pid=host and the host root mounted to see the host)",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespace_links() {
        assert_eq!(parse_ns_link("net:[4026531840]"), Some(4_026_531_840));
        assert_eq!(
            parse_ns_link("pid:[4026531836]"),
            Some(INITIAL_PID_NAMESPACE)
        );
        assert_eq!(parse_ns_link("garbage"), None);
    }

    #[test]
    fn explicit_choices_win() {
        let root = HostRoot::default();
        assert_eq!(resolve(VisibilityChoice::Host, &root).0, Visibility::Host);
        assert_eq!(
            resolve(VisibilityChoice::ContainerOnly, &root).0,
            Visibility::ContainerOnly
        );
    }

    #[test]
    fn auto_matches_this_machine() {
        // This test runs as a plain process: it is in the host's pid
        // namespace exactly when its own namespace is the initial one.
        let own = namespace_inode(Path::new("/proc"), "self", "pid");
        let expected = if own == Some(INITIAL_PID_NAMESPACE) {
            Visibility::Host
        } else {
            Visibility::ContainerOnly
        };
        assert_eq!(
            resolve(VisibilityChoice::Auto, &HostRoot::default()).0,
            expected
        );
    }
}
