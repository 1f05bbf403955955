//! What the binary says when it refuses: each cause once, the real file,
//! line, column and key, never a line 0 or a made-up key, and a plain
//! sentence when the cockpit has no terminal. Each case runs the real
//! binary and stops before any run starts, so the file stays fast.

use omni_tui::config::ConfigError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn omni(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"))
        .env("XDG_STATE_HOME", dir.join("xdg-state"))
        .stdin(Stdio::null());
    c
}

/// Runs `omni-tui args…` expecting a refusal; its stderr, which is checked
/// for what no message may say.
fn refused(dir: &Path, args: &[&str]) -> String {
    let out = omni(dir).args(args).output().expect("runs");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.starts_with("omni-tui: "), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for never in ["line 0", ":0:", ":0 ", "key `-`", "key ``"] {
        assert!(!err.contains(never), "{never:?} in {err}");
    }
    err
}

/// `text` as `omni.toml` in `dir` (mode 600: no warning), and its path.
fn config_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("omni.toml");
    std::fs::write(&path, text).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

/// `omni-tui --config omni.toml config` with `text`: its stderr.
fn config_refused(dir: &Path, text: &str) -> String {
    config_file(dir, text);
    refused(dir, &["--config", "omni.toml", "config"])
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn a_missing_file_says_its_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for args in [
        &["--config", "missing.toml", "config"][..],
        &["--config", "missing.toml"][..],
        &["--config", "missing.toml", "headless", "--events", "1"][..],
    ] {
        let err = refused(d, args);
        assert!(
            err.starts_with("omni-tui: missing.toml: cannot read config: "),
            "{err}"
        );
        assert_eq!(count(&err, "(os error 2)"), 1, "{err}");
    }
    // History files (train and eval read them alike).
    let err = refused(d, &["train", "--data", "gone.csv", "--out", "models"]);
    assert!(err.starts_with("omni-tui: gone.csv: "), "{err}");
    assert_eq!(count(&err, "(os error 2)"), 1, "{err}");
    // A replay file given on the command line.
    let err = refused(d, &["replay", "gone.rec", "--headless"]);
    assert!(err.contains("gone.rec"), "{err}");
    assert_eq!(count(&err, "(os error 2)"), 1, "{err}");
    // Files the configuration names: models_dir, a demo series, a replay file.
    let err = config_refused(d, "[ensemble]\nmodels_dir = \"nope\"\n");
    assert!(
        err.contains("omni.toml:2: key `ensemble.models_dir`: `nope` is not a readable directory"),
        "{err}"
    );
    assert_eq!(count(&err, "(os error 2)"), 1, "{err}");
    let err = config_refused(
        d,
        "[[market.demo.series]]\ninstrument = \"BTC/USDT\"\nfile = \"gone.csv\"\n\
         history_h1 = \"\"\nspread_bps = 0.4\ntop_qty = 2.0\n",
    );
    assert!(
        err.contains("omni.toml:3: key `market.demo.series[0].file`: `gone.csv`"),
        "{err}"
    );
    assert_eq!(count(&err, "gone.csv"), 1, "{err}");
    let err = config_refused(
        d,
        "[market]\nsource = \"replay\"\n[market.replay]\nfiles = [\"gone.rec\"]\n",
    );
    assert!(
        err.contains(
            "omni.toml:4: key `market.replay.files[0]`: `gone.rec` is not a readable file"
        ),
        "{err}"
    );
}

#[test]
fn a_database_that_cannot_open_says_its_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // The lock file cannot be opened: a folder has its name.
    std::fs::create_dir(d.join("locked.db.lock")).expect("mkdir");
    let err = refused(d, &["--db", "locked.db", "headless", "--events", "1"]);
    assert!(err.contains("lock file locked.db.lock: "), "{err}");
    assert_eq!(count(&err, "(os error 21)"), 1, "{err}");
    // SQLite cannot open its write-ahead log: a folder has its name.
    std::fs::create_dir(d.join("wal.db-wal")).expect("mkdir");
    let err = refused(d, &["--db", "wal.db", "headless", "--events", "1"]);
    assert!(err.starts_with("omni-tui: database wal.db: "), "{err}");
    assert_eq!(count(&err, "disk I/O error"), 1, "{err}");
}

#[test]
fn a_syntax_error_names_file_line_and_column_and_no_made_up_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let err = config_refused(d, "[risk\ndaily_trade_limit = 3\n");
    assert_eq!(
        err.trim_end(),
        "omni-tui: omni.toml:1:6: not valid TOML: unclosed table, expected `]`"
    );
    let err = config_refused(d, "[risk]\ndaily_trade_limit = = 3\n");
    assert_eq!(
        err.trim_end(),
        "omni-tui: omni.toml:2:21: key `risk.daily_trade_limit`: not valid TOML: \
         extra `=`, expected nothing"
    );
    let err = config_refused(d, "[general]\nseed = \"abc\n");
    assert!(
        err.starts_with("omni-tui: omni.toml:2:12: key `general.seed`: not valid TOML: "),
        "{err}"
    );
    // The column counts characters, not bytes.
    let err = config_refused(d, "[general]\nseed = \"\u{e9}\u{e9}\" x\n");
    assert!(
        err.starts_with("omni-tui: omni.toml:2:13: key `general.seed`: not valid TOML: "),
        "{err}"
    );
    // A broken key is not named as a key.
    let err = config_refused(d, "[risk]\ndaily trade_limit = 3\n");
    assert!(
        err.starts_with("omni-tui: omni.toml:2:7: not valid TOML: "),
        "{err}"
    );
    assert!(!err.contains("key `"), "{err}");
}

#[test]
fn a_refused_default_names_the_key_of_the_file_that_broke_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // [[venues]] replaces the built-in list; the built-in instruments still
    // list Kraken.
    let err = config_refused(
        d,
        "[[venues]]\nname = \"binance\"\ntaker_fee_pct = 0.1\nmaker_fee_pct = 0.1\n\
         order_latency_ms = 40\n",
    );
    assert_eq!(
        err.trim_end(),
        "omni-tui: omni.toml:1: key `venues` makes the built-in default of \
         `instruments[0].venues[1]` (not set in this file) invalid: unknown venue `kraken`"
    );
    let err = config_refused(d, "[risk]\nlevel_high_at = 0.3\n");
    assert!(
        err.starts_with(
            "omni-tui: omni.toml:2: key `risk.level_high_at` makes the built-in default of \
             `risk.level_medium_at` (not set in this file) invalid: "
        ),
        "{err}"
    );
    let err = config_refused(d, "[market]\nsource = \"replay\"\n");
    assert!(
        err.starts_with(
            "omni-tui: omni.toml:2: key `market.source` makes the built-in default of \
             `market.replay.files` (not set in this file) invalid: "
        ),
        "{err}"
    );
    // With no key of the file to blame, the default is named as one.
    let e = ConfigError::Default {
        path: "omni.toml".into(),
        key: "risk.level_medium_at".into(),
        message: "must be below level_high_at".into(),
        because: None,
    };
    assert_eq!(
        e.to_string(),
        "omni.toml: key `risk.level_medium_at` (built-in default; not set in this file): \
         must be below level_high_at"
    );
}

#[test]
fn errors_with_a_cause_state_it_and_expose_no_source() {
    let io = || std::io::Error::from(std::io::ErrorKind::NotFound);
    let errors: Vec<anyhow::Error> = vec![
        anyhow::Error::from(ConfigError::Read {
            path: "omni.toml".into(),
            cause: io(),
        }),
        anyhow::Error::from(omni_research::history::HistoryError::Read {
            path: "a.csv".into(),
            cause: io(),
        }),
        anyhow::Error::from(omni_sim::demo::DemoError::Read {
            path: "a.csv".into(),
            cause: io(),
        }),
        anyhow::Error::from(omni_store::LockError::Io {
            path: "a.db.lock".into(),
            cause: io(),
        }),
        anyhow::Error::from(omni_store::StoreError::Dir {
            path: "dir".into(),
            source: io(),
        }),
        anyhow::Error::from(omni_store::StoreError::Sqlite {
            path: "a.db".into(),
            source: rusqlite::Error::InvalidQuery,
        }),
    ];
    for e in errors {
        assert_eq!(e.chain().count(), 1, "a source: {e:#}");
        let shown = format!("{e:#}");
        let cause = shown.rsplit(": ").next().expect("a cause");
        assert_eq!(count(&shown, cause), 1, "{shown}");
    }
}

/// No derived error type shows a field its `source()` also returns: no
/// `{source}` in an `#[error]` text, and `#[from]`/`#[source]` only under
/// `#[error(transparent)]`.
#[test]
fn no_error_type_can_say_its_cause_twice() {
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    for c in std::fs::read_dir(root.join("crates")).expect("crates") {
        rust_files(&c.expect("crate").path().join("src"), &mut files);
    }
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let mut last = "";
        for (i, line) in text.lines().enumerate() {
            let code = line.trim();
            if code.starts_with("//") {
                continue;
            }
            if code.starts_with("#[error(") {
                last = code;
                if code.contains("{source}") {
                    found.push(format!("{}:{}: {code}", f.display(), i + 1));
                }
            }
            if (code.contains("#[from]") || code.contains("#[source]"))
                && !last.contains("transparent")
            {
                found.push(format!("{}:{}: {code}", f.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_cockpit_without_a_terminal_says_so_in_a_sentence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let err = refused(d, &["--db", "cockpit.db"]);
    assert_eq!(
        err.trim_end(),
        "omni-tui: the cockpit needs a terminal (stdin and stdout are not terminals); \
         run `omni-tui headless` for a run without one"
    );
    // Refused before the store is opened.
    assert!(!d.join("cockpit.db").exists());
    // Piped input, as `echo | omni-tui`.
    let mut child = omni(d)
        .args(["--db", "cockpit.db"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the cockpit needs a terminal"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = refused(d, &["--db", "cockpit.db", "replay", "x.rec"]);
    assert!(
        err.contains("run `omni-tui replay --headless FILE...` for a run without one"),
        "{err}"
    );
    // Each side alone.
    use omni_tui::cockpit::run::need_terminal;
    assert!(need_terminal(true, true, false).is_ok());
    let said = |i, o| need_terminal(i, o, false).expect_err("refused").to_string();
    assert!(said(false, true).contains("(stdin is not a terminal)"));
    assert!(said(true, false).contains("(stdout is not a terminal)"));
}
