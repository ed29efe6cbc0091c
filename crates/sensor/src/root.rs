//! Where the host's files are: `/` for a sensor running as a plain process,
//! or a mount such as `/host` for a privileged container observing its host.

use std::path::{Path, PathBuf};

/// The host's root directory, against which `/proc`, `/etc`, `/sys`… are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoot {
    root: PathBuf,
}

impl Default for HostRoot {
    fn default() -> Self {
        HostRoot::new("/")
    }
}

impl HostRoot {
    /// A host root at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        HostRoot { root: root.into() }
    }

    /// True when the root is `/` (the sensor runs directly on the host or sees only itself).
    pub fn is_slash(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The root itself.
    pub fn as_path(&self) -> &Path {
        &self.root
    }

    /// `absolute` (e.g. `/etc/os-release`) under the root.
    pub fn join(&self, absolute: &str) -> PathBuf {
        self.root.join(absolute.trim_start_matches('/'))
    }

    /// The host's `/proc`.
    pub fn proc(&self) -> PathBuf {
        self.join("/proc")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_absolute_paths_under_the_root() {
        assert_eq!(
            HostRoot::new("/host").join("/etc/os-release"),
            PathBuf::from("/host/etc/os-release")
        );
        assert_eq!(HostRoot::default().proc(), PathBuf::from("/proc"));
        assert!(HostRoot::default().is_slash());
        assert!(!HostRoot::new("/host").is_slash());
    }
}
