//! User names from the host's `/etc/passwd`, reloaded when the file changes.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::root::HostRoot;

/// uid → name, from `<root>/etc/passwd`.
#[derive(Debug, Default)]
pub struct Users {
    names: HashMap<u32, String>,
    modified: Option<SystemTime>,
}

impl Users {
    /// Reloads the table when `/etc/passwd` changed since the last load.
    pub fn refresh(&mut self, root: &HostRoot) {
        let path = root.join("/etc/passwd");
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if modified.is_some() && modified == self.modified {
            return;
        }
        self.modified = modified;
        self.names.clear();
        if let Some(text) = super::read_small(&path) {
            for line in text.lines() {
                let mut fields = line.split(':');
                let (Some(name), _, Some(uid)) = (fields.next(), fields.next(), fields.next())
                else {
                    continue;
                };
                if let Ok(uid) = uid.parse() {
                    self.names.entry(uid).or_insert_with(|| name.to_string());
                }
            }
        }
    }

    /// The user's name, or the numeric uid when unknown.
    pub fn name(&self, uid: u32) -> String {
        self.names
            .get(&uid)
            .cloned()
            .unwrap_or_else(|| uid.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_root_here() {
        let mut users = Users::default();
        users.refresh(&HostRoot::default());
        assert_eq!(users.name(0), "root");
        assert_eq!(users.name(4_000_000_000), "4000000000");
    }
}
