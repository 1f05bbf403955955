//! The real binary in a real terminal, for end-to-end tests: a tmux
//! server of the test's own, a session running the cockpit at 200×50 on a
//! temporary directory, its screen as text, keys sent to it. Included with
//! `#[path = "common/tmux.rs"] mod tmux;` by the tests that drive it.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `test` keeps each test's tmux server apart: the tests of this file
    /// run in parallel and a shared socket would collide on the session name
    /// and be killed by whichever test finishes first.
    pub fn new(test: &str) -> Self {
        let v = Command::new("tmux").arg("-V").output();
        assert!(
            v.is_ok_and(|o| o.status.success()),
            "this test needs tmux (.ci/run installs it)"
        );
        Self {
            socket: format!("omni-e2e-{}-{test}", std::process::id()),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn start(&self, dir: &Path) {
        self.start_with(dir, "");
    }

    pub fn start_with(&self, dir: &Path, extra: &str) {
        let cmd = format!(
            "cd {} && XDG_CONFIG_HOME={0}/cfg XDG_DATA_HOME={0}/data XDG_STATE_HOME={0}/state exec {} --db e2e.db {extra}",
            dir.display(),
            env!("CARGO_BIN_EXE_omni-tui")
        );
        self.start_cmd(&cmd);
    }

    /// Runs `cmd` in a 200×50 session named `cockpit`.
    pub fn start_cmd(&self, cmd: &str) {
        let out = self.run(&[
            "new-session",
            "-d",
            "-s",
            "cockpit",
            "-x",
            "200",
            "-y",
            "50",
            cmd,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "cockpit"]).stdout)
            .into_owned()
    }

    pub fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "cockpit", keys]);
    }

    pub fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "cockpit"]).status.success()
    }

    pub fn wait_for(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(secs),
                "waited {secs}s for {what}; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
