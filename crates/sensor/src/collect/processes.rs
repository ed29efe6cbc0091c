//! The processes collector: every process visible under the host root's
//! `/proc` (kernel threads excluded), with CPU % since the previous sample,
//! RSS, threads, the container from its cgroup and its network namespace.

use std::collections::HashMap;
use std::time::Instant;

use vedette_model::wire::{CollectorStatus, Process};

use super::cgroup::container_id_from_cgroup_file;
use super::users::Users;
use crate::root::HostRoot;
use crate::visibility::namespace_inode;

/// At most this many command-line arguments are kept.
pub const MAX_ARGS: usize = 64;
/// At most this many bytes of command line are kept in all.
pub const MAX_CMDLINE_BYTES: usize = 4096;
/// `PF_KTHREAD` in `/proc/<pid>/stat` flags: a kernel thread.
const PF_KTHREAD: u32 = 0x0020_0000;

/// Collects processes.
pub struct ProcessCollector {
    root: HostRoot,
    users: Users,
    boot_time_secs: u64,
    ticks_per_second: u64,
    page_size: u64,
    /// CPU ticks per (pid, start time) at the previous sample, and when.
    previous: HashMap<(u32, u64), u64>,
    current: HashMap<(u32, u64), u64>,
    previous_at: Option<Instant>,
    /// Why the last collection found nothing, when it could not list `/proc`.
    failure: Option<String>,
}

impl ProcessCollector {
    /// A collector reading `<root>/proc`.
    pub fn new(root: HostRoot) -> Self {
        let boot_time_secs = super::proc_stat(&root).boot_time_secs;
        ProcessCollector {
            root,
            users: Users::default(),
            boot_time_secs,
            ticks_per_second: procfs::ticks_per_second().max(1),
            page_size: procfs::page_size(),
            previous: HashMap::new(),
            current: HashMap::new(),
            previous_at: None,
            failure: None,
        }
    }

    /// Whether the last collection could list processes.
    pub fn status(&self) -> CollectorStatus {
        match &self.failure {
            None => CollectorStatus::active("processes"),
            Some(reason) => CollectorStatus::inactive("processes", reason.clone()),
        }
    }

    /// Replaces `out` with the processes visible now.
    pub fn collect(&mut self, out: &mut Vec<Process>) {
        out.clear();
        self.users.refresh(&self.root);
        let now = Instant::now();
        let elapsed = self
            .previous_at
            .map(|at| now.duration_since(at).as_secs_f64())
            .filter(|secs| *secs > 0.0);
        self.current.clear();
        let proc = self.root.proc();
        let all = match procfs::process::all_processes_with_root(&proc) {
            Ok(all) => all,
            Err(err) => {
                if self.failure.is_none() {
                    tracing::warn!(path = %proc.display(), error = %err, "cannot list processes");
                }
                self.failure = Some(format!(
                    "cannot list processes in {}: {err}",
                    proc.display()
                ));
                return;
            }
        };
        self.failure = None;
        for process in all.flatten() {
            let Ok(stat) = process.stat() else { continue };
            if stat.flags & PF_KTHREAD != 0 {
                continue;
            }
            let Ok(pid) = u32::try_from(stat.pid) else {
                continue;
            };
            let ticks = stat.utime + stat.stime;
            self.current.insert((pid, stat.starttime), ticks);
            let cpu_percent = match (elapsed, self.previous.get(&(pid, stat.starttime))) {
                (Some(secs), Some(before)) => {
                    let used = ticks.saturating_sub(*before) as f64 / self.ticks_per_second as f64;
                    (used / secs * 100.0) as f32
                }
                _ => 0.0,
            };
            let started_at_ms =
                (self.boot_time_secs * 1000 + stat.starttime * 1000 / self.ticks_per_second) as i64;
            let pid_text = pid.to_string();
            let cgroup = super::read_small(&proc.join(&pid_text).join("cgroup"));
            out.push(Process {
                pid,
                ppid: u32::try_from(stat.ppid).unwrap_or(0),
                name: stat.comm.clone(),
                // Secrets in command lines never leave the host.
                cmdline: super::redact::command_line(bounded_cmdline(
                    process.cmdline().unwrap_or_default(),
                )),
                user: process
                    .uid()
                    .map(|uid| self.users.name(uid))
                    .unwrap_or_default(),
                exe: process
                    .exe()
                    .ok()
                    .map(|path| path.to_string_lossy().into_owned()),
                started_at_ms,
                cpu_percent,
                rss_bytes: stat.rss * self.page_size,
                threads: u32::try_from(stat.num_threads).unwrap_or(0),
                container_id: cgroup.as_deref().and_then(container_id_from_cgroup_file),
                netns: namespace_inode(&proc, &pid_text, "net"),
            });
        }
        std::mem::swap(&mut self.previous, &mut self.current);
        self.previous_at = Some(now);
    }
}

/// Keeps at most [`MAX_ARGS`] arguments and [`MAX_CMDLINE_BYTES`] bytes.
pub fn bounded_cmdline(mut args: Vec<String>) -> Vec<String> {
    args.truncate(MAX_ARGS);
    let mut budget = MAX_CMDLINE_BYTES;
    for (index, arg) in args.iter_mut().enumerate() {
        if arg.len() > budget {
            let mut cut = budget;
            while !arg.is_char_boundary(cut) {
                cut -= 1;
            }
            arg.truncate(cut);
            if arg.is_empty() {
                args.truncate(index);
            } else {
                args.truncate(index + 1);
            }
            break;
        }
        budget -= arg.len();
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_command_lines() {
        let many: Vec<String> = (0..200).map(|i| i.to_string()).collect();
        assert_eq!(bounded_cmdline(many).len(), MAX_ARGS);
        let long = vec!["a".repeat(3000), "b".repeat(3000), "c".into()];
        let bounded = bounded_cmdline(long);
        assert_eq!(bounded.len(), 2);
        assert_eq!(
            bounded.iter().map(String::len).sum::<usize>(),
            MAX_CMDLINE_BYTES
        );
        let multibyte = vec!["é".repeat(3000)];
        assert!(bounded_cmdline(multibyte)[0].len() <= MAX_CMDLINE_BYTES);
    }
}
