//! The interactive shell in a real terminal: tmux runs rvirsh, the test types into it and reads
//! the screen. A command, tab completion of a domain name, history recall, quit.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "rv"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-t", "rv", "-p"])
    }

    /// Waits until the screen satisfies `f`; panics with the screen after 10 s.
    fn wait_for(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "waiting for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn shell_runs_commands_completes_domain_names_and_recalls_history() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("SKIPPED: tmux is not installed (apt-get install tmux)");
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let t = Tmux {
        socket: format!("rvirsh-test-{}", std::process::id()),
    };
    let cmd = format!(
        "env XDG_CACHE_HOME={} {} -c test:///default; echo EXIT=$?; sleep 30",
        cache.path().display(),
        env!("CARGO_BIN_EXE_rvirsh")
    );
    t.run(&[
        "new-session",
        "-d",
        "-s",
        "rv",
        "-x",
        "120",
        "-y",
        "50",
        &cmd,
    ]);
    t.wait_for("the greeting and prompt", |s| {
        s.contains("Welcome to rvirsh, the virtualization interactive terminal.")
            && s.contains("rvirsh #")
    });

    // A command.
    t.keys(&["list --all", "Enter"]);
    t.wait_for("the domain list", |s| s.contains(" 1    test   running"));

    // Tab completes a domain name.
    t.keys(&["dominfo te", "Tab"]);
    t.wait_for("the completed name", |s| {
        s.contains("rvirsh # dominfo test")
    });
    t.keys(&["Enter"]);
    t.wait_for("dominfo", |s| s.contains("Name:           test"));

    // History: two lines up is `list --all` again.
    t.keys(&["Up", "Up"]);
    t.wait_for("the recalled line", |s| {
        s.lines().last_non_empty() == Some("rvirsh # list --all")
    });
    t.keys(&["Enter"]);
    t.wait_for("the second listing", |s| {
        s.matches(" 1    test   running").count() == 2
    });

    // Command names complete too; several candidates are listed.
    t.keys(&["snapshot-cr", "Tab", "Tab"]);
    t.wait_for("the candidates", |s| {
        s.contains("snapshot-create     snapshot-create-as")
    });
    t.keys(&["C-u", "quit", "Enter"]);
    let s = t.wait_for("the exit", |s| s.contains("EXIT=0"));
    assert!(s.contains("rvirsh # quit"), "{s}");

    // The history was saved for the next session.
    let h = std::fs::read_to_string(cache.path().join("rvirsh/history")).unwrap();
    assert!(h.contains("dominfo test") && h.contains("quit"), "{h}");
}

trait LastNonEmpty<'a> {
    fn last_non_empty(self) -> Option<&'a str>;
}

impl<'a, I: DoubleEndedIterator<Item = &'a str>> LastNonEmpty<'a> for I {
    fn last_non_empty(mut self) -> Option<&'a str> {
        self.rfind(|l| !l.trim().is_empty()).map(str::trim_end)
    }
}
