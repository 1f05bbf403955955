//! Configuration: the example equals the defaults, and bad files get errors
//! that name the file, the line and the key.

use omni_tui::config::Config;
use omni_tui::config::ConfigError;
use omni_tui::config::ConfigOrigin;
use omni_tui::config::parse_str;
use std::path::PathBuf;
use std::process::Command;

fn parse(text: &str) -> Result<omni_tui::config::LoadedConfig, ConfigError> {
    parse_str(
        text,
        ConfigOrigin::File("omni.toml".into()),
        PathBuf::from("."),
    )
}

fn invalid(text: &str) -> (usize, String, String) {
    match parse(text) {
        Err(ConfigError::Invalid {
            line, key, message, ..
        }) => (line, key, message),
        // A built-in default (not in the file) that a key of the file
        // breaks: the line is that key's.
        Err(ConfigError::Default {
            key,
            message,
            because: Some((_, line)),
            ..
        }) => (line, key, message),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn the_example_is_the_built_in_configuration_and_validates() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/omni.toml.example"))
        .expect("omni.toml.example");
    assert_eq!(
        text,
        omni_core::defaults::TOML,
        "one file is both the example and the defaults"
    );
    let loaded = parse(&text).expect("the example parses and validates");
    assert_eq!(loaded.config, Config::default());
    // Each component reads its own section of it.
    let engine = omni_core::engine::config::EngineConfig::builtin();
    assert_eq!(engine, loaded.config.engine());
    let demo: omni_sim::demo::DemoConfig = omni_core::defaults::section("market.demo");
    assert_eq!(demo, loaded.config.market.demo);
}

/// Every key path of a TOML value; array elements are indexed.
fn key_paths(prefix: &str, v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                key_paths(&p, v, out);
            }
        }
        toml::Value::Array(a) if a.iter().all(toml::Value::is_table) && !a.is_empty() => {
            for (i, v) in a.iter().enumerate() {
                key_paths(&format!("{prefix}[{i}]"), v, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

#[test]
fn example_spells_out_every_key() {
    // Keys left out of a file keep their defaults, so equality alone would
    // not notice a section missing from the example.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/omni.toml.example"))
        .expect("omni.toml.example");
    let example: toml::Value = toml::from_str(&text).expect("toml");
    let defaults = toml::Value::try_from(Config::default()).expect("defaults serialize");
    let (mut have, mut want) = (Vec::new(), Vec::new());
    key_paths("", &example, &mut have);
    key_paths("", &defaults, &mut want);
    have.sort();
    want.sort();
    let missing: Vec<_> = want.iter().filter(|k| !have.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "keys the example leaves out: {missing:?}"
    );
    assert_eq!(have.len(), want.len(), "{have:?}");
}

#[test]
fn every_key_of_the_example_has_a_comment_above_or_beside_it_or_its_table() {
    // A cheap guard that keeps the example documented: each table header is
    // preceded by a comment line or follows a documented sibling table.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/omni.toml.example"))
        .expect("omni.toml.example");
    let comments = text
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .count();
    let keys = text
        .lines()
        .filter(|l| l.contains('=') && !l.trim_start().starts_with('#'))
        .count();
    assert!(
        comments * 2 >= keys,
        "{comments} comment lines for {keys} keys"
    );
}

#[test]
fn an_empty_file_is_the_demo() {
    assert_eq!(parse("").expect("parses").config, Config::default());
}

#[test]
fn a_partial_file_keeps_the_other_defaults() {
    let c = parse("[risk]\ndaily_trade_limit = 7\n")
        .expect("parses")
        .config;
    assert_eq!(c.risk.daily_trade_limit, 7);
    assert_eq!(
        c.risk.max_position_pct,
        Config::default().risk.max_position_pct
    );
    assert_eq!(c.accounts, Config::default().accounts);
}

#[test]
fn unknown_key_names_line_and_key() {
    let (line, key, message) =
        invalid("[general]\nseed = 1\n\n[risk]\ndaily_trade_limit = 5\nmax_lots = 3\n");
    assert_eq!(line, 6);
    assert_eq!(key, "risk.max_lots");
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn wrong_type_names_line_and_key() {
    let (line, key, message) = invalid("[risk]\n\ndaily_trade_limit = \"fifty\"\n");
    assert_eq!(line, 3);
    assert_eq!(key, "risk.daily_trade_limit");
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn bad_enum_in_an_array_of_tables() {
    let text = "[[accounts]]\nname = \"a\"\ntype = \"spot\"\nprofile = \"balanced\"\ncurrency = \"USDT\"\nbalance = 1000\nbroker = \"paper\"\n\n[[accounts]]\nname = \"b\"\ntype = \"futures\"\n";
    let (line, key, _) = invalid(text);
    assert_eq!(line, 11);
    assert_eq!(key, "accounts[1].type");
}

#[test]
fn a_route_to_an_unknown_account_names_its_line() {
    let text = r#"
[[routes]]
kind = "forex"
instruments = ["EUR/USD"]
accounts = ["margin-fx", "nobody"]
"#;
    let (line, key, message) = invalid(text);
    assert_eq!(key, "routes[0].accounts[1]");
    assert_eq!(line, 5);
    assert!(message.contains("nobody"));
}

#[test]
fn binary_opportunities_cannot_go_to_a_spot_account() {
    let text =
        "[[routes]]\nkind = \"binary\"\ninstruments = [\"BTC/USDT\"]\naccounts = [\"spot-a\"]\n";
    let (_, key, message) = invalid(text);
    assert_eq!(key, "routes[0].accounts[0]");
    assert!(message.contains("SPOT"), "{message}");
}

#[test]
fn triangular_cycles_go_only_to_accounts_that_keep_their_start_asset() {
    // margin-fx keeps USD; the cycles start in USDT.
    let text = "[[routes]]\nkind = \"triangular\"\ninstruments = [\"BTC/USDT\"]\naccounts = [\"margin-fx\"]\n";
    let (line, key, message) = invalid(text);
    assert_eq!((line, key.as_str()), (4, "routes[0].accounts[0]"));
    assert!(
        message.contains("USD") && message.contains("start_assets"),
        "{message}"
    );
    // Cycles starting in BTC would reach spot-a through BTC/USDT (the
    // built-in triangular route is the third).
    let text = "[scanners.triangular]\nstart_assets = [\"USDT\", \"BTC\"]\n";
    let (_, key, message) = invalid(text);
    assert_eq!(key, "routes[2].instruments[0]");
    assert!(message.contains("starting in BTC"), "{message}");
    let text = "[scanners.triangular]\nstart_assets = [\"USDT\", \"ETH/BTC\"]\n";
    let (_, key, _) = invalid(text);
    assert_eq!(key, "scanners.triangular.start_assets[1]");
}

#[test]
fn bad_trading_hours_name_the_field() {
    let (line, key, _) = invalid("[risk.hours.forex]\nopen = \"sunday 22\"\n");
    assert_eq!((line, key.as_str()), (2, "risk.hours.forex.open"));
}

#[test]
fn syntax_error_names_the_line() {
    match parse("[risk]\ndaily_trade_limit = = 3\n") {
        Err(ConfigError::Syntax {
            line, column, key, ..
        }) => {
            assert_eq!((line, column), (2, 21));
            assert_eq!(key.as_deref(), Some("risk.daily_trade_limit"));
        }
        other => panic!("{other:?}"),
    }
}

fn omni(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni-tui"));
    c.current_dir(dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg-config"))
        .env("XDG_DATA_HOME", dir.join("xdg-data"));
    c
}

#[test]
fn the_binary_exits_non_zero_and_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[approval]\nmode = \"sometimes\"\n").expect("write");
    let out = omni(dir.path())
        .args(["--config", path.to_str().expect("utf8"), "config"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:2: key `approval.mode`"), "{err}");
}

#[test]
fn lookup_order_is_flag_then_cwd_then_xdg_then_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let which = |d: &std::path::Path, extra: &[&str]| -> String {
        let out = omni(d).args(extra).arg("config").output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert!(which(dir.path(), &[]).contains("built-in defaults"));
    let xdg = dir.path().join("xdg-config/omni-tui");
    std::fs::create_dir_all(&xdg).expect("mkdir");
    std::fs::write(xdg.join("omni.toml"), "").expect("write");
    assert!(which(dir.path(), &[]).contains("xdg-config/omni-tui/omni.toml"));
    std::fs::write(dir.path().join("omni.toml"), "").expect("write");
    assert!(which(dir.path(), &[]).contains("omni.toml"));
    assert!(!which(dir.path(), &[]).contains("xdg-config"));
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "").expect("write");
    assert!(which(dir.path(), &["--config", other.to_str().expect("utf8")]).contains("other.toml"));
}

#[test]
fn a_partial_section_keeps_the_defaults_of_its_other_keys() {
    // Setting only the daily break must not erase the weekly session: forex
    // would otherwise trade around the clock.
    let c = parse("[risk.hours.forex]\ndaily_break = \"21:55-22:05\"\n")
        .expect("parses")
        .config;
    assert_eq!(c.risk.hours.forex.open.as_str(), "sun 22:00");
    assert_eq!(c.risk.hours.forex.close.as_str(), "fri 22:00");
    assert_eq!(c.risk.hours.forex.daily_break.as_str(), "21:55-22:05");
    // A feed pointed elsewhere keeps its venue's heartbeat and stays enabled.
    let c = parse("[feeds.kraken]\nurl = \"ws://127.0.0.1:9000\"\n")
        .expect("parses")
        .config;
    assert_eq!(
        c.feeds[&omni_feeds::VenueKind::Kraken].url,
        "ws://127.0.0.1:9000"
    );
    assert!(c.feeds[&omni_feeds::VenueKind::Kraken].enabled);
    assert_eq!(c.feeds[&omni_feeds::VenueKind::Kraken].heartbeat_secs, 1.0);
    let c = parse("[risk.signal.forex]\nmin_interval_secs = 60\n")
        .expect("parses")
        .config;
    assert_eq!(
        c.risk.signal[&omni_core::domain::OpportunityKind::Forex].min_confidence,
        Config::default().risk.signal[&omni_core::domain::OpportunityKind::Forex].min_confidence
    );
}

#[test]
fn a_list_of_tables_replaces_the_default_list() {
    let c = parse(concat!(
        "routes = []\n\n[[accounts]]\nname = \"only\"\ntype = \"spot\"\n",
        "profile = \"balanced\"\ncurrency = \"USDT\"\nbalance = 1000\nbroker = \"paper\"\n"
    ))
    .expect("parses")
    .config;
    assert_eq!(c.accounts.len(), 1);
    assert_eq!(c.accounts[0].name, "only");
    assert_eq!(c.accounts[0].balance, rust_decimal::Decimal::from(1000));
}

#[test]
fn an_element_of_a_list_spells_out_every_key() {
    // No hidden defaults inside a list: an account without a balance is an
    // error that names the key, not an account with somebody else's money.
    let (line, key, message) = invalid("[[accounts]]\nname = \"only\"\ntype = \"spot\"\n");
    assert_eq!((line, key.as_str()), (1, "accounts[0]"));
    assert!(message.contains("missing field"), "{message}");
}

#[test]
fn a_key_after_a_table_header_belongs_to_that_table() {
    let e = parse("[[accounts]]\nname = \"only\"\nroutes = []\n")
        .expect_err("routes inside [[accounts]]");
    assert!(e.to_string().contains("accounts[0].routes"), "{e}");
}

#[test]
fn feed_and_replay_mistakes_name_their_key_and_line() {
    let (line, key, msg) = invalid("[feeds.kraken]\nheartbeat_secs = 0\n");
    assert_eq!(
        (line, key.as_str()),
        (2, "feeds.kraken.heartbeat_secs"),
        "{msg}"
    );
    let (_, key, _) = invalid("[feeds.bybit]\nmax_connection_hours = nan\n");
    assert_eq!(key, "feeds.bybit.max_connection_hours");
    let live = "[market]\nsource = \"live\"\n";
    let (line, key, msg) = invalid(&format!(
        "{live}[feeds.binance]\nsymbols = [\"BTC/USDT\", \"DOGE/USDT\"]\n"
    ));
    assert_eq!(
        (line, key.as_str()),
        (4, "feeds.binance.symbols[1]"),
        "{msg}"
    );
    assert!(msg.contains("DOGE/USDT"), "{msg}");
    let (_, key, msg) = invalid(&format!("{live}[feeds.kraken]\nurl = \"http://x\"\n"));
    assert_eq!(key, "feeds.kraken.url", "{msg}");
    let (_, key, msg) = invalid(&format!("{live}[feeds.bybit]\nsymbols = [\"EUR/USD\"]\n"));
    assert_eq!(key, "feeds.bybit.symbols[0]");
    assert!(msg.contains("does not list venue `bybit`"), "{msg}");
    let (_, key, msg) = invalid(&format!("{live}[feeds.coinbase]\nenabled = true\n"));
    assert_eq!(key, "feeds.coinbase.enabled");
    assert!(msg.contains("[[venues]]"), "{msg}");
    let (_, key, msg) = invalid(&format!("{live}[feeds.oanda]\nenabled = true\n"));
    assert_eq!(key, "feeds.oanda.account_id", "{msg}");
    let (line, key, msg) = invalid("[feeds.kraken]\ndepth = true\n");
    assert_eq!((line, key.as_str()), (2, "feeds.kraken.depth"), "{msg}");
    assert!(msg.contains("no depth stream"), "{msg}");
    let (_, key, _) = invalid("[market]\nsource = \"replay\"\n");
    assert_eq!(key, "market.replay.files");
    let (_, key, _) = invalid("[market.replay]\nspeed = -2.0\n");
    assert_eq!(key, "market.replay.speed");
    let (_, key, msg) = invalid("[market]\nsource = \"cable\"\n");
    assert_eq!(key, "market.source", "{msg}");
}

#[test]
fn a_token_pasted_as_token_env_is_refused_without_showing_it() {
    let secret = "sk-live-abc123!";
    for source in ["demo", "live"] {
        let text = format!(
            "[market]\nsource = \"{source}\"\n\n[feeds.oanda]\naccount_id = \"101-1\"\ntoken_env = \"{secret}\"\n"
        );
        let e = parse(&text).expect_err("a token is not a variable name");
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains("abc123"), "{shown}");
        let (line, key, message) = invalid(&text);
        assert_eq!(
            (line, key.as_str()),
            (6, "feeds.oanda.token_env"),
            "{message}"
        );
        assert!(
            e.to_string()
                .starts_with("omni.toml:6: key `feeds.oanda.token_env`"),
            "{e}"
        );
    }
    // A name passes, enabled or not.
    let ok = "[feeds.oanda]\naccount_id = \"101-1\"\ntoken_env = \"MY_OANDA_TOKEN_2\"\n";
    let loaded = parse(ok).expect("a variable name is fine");
    assert_eq!(
        loaded.config.feeds[&omni_feeds::VenueKind::Oanda].token_env,
        "MY_OANDA_TOKEN_2"
    );
    parse("[market]\nsource = \"live\"\n[feeds.oanda]\nenabled = true\naccount_id = \"1\"\ntoken_env = \"_T\"\n")
        .expect("live with a variable name");
}

#[test]
#[cfg(unix)]
fn a_config_file_readable_by_others_gets_a_warning_on_stderr() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("shared.toml");
    std::fs::write(&path, "").expect("write");
    let stderr = |mode: u32| {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let out = omni(dir.path())
            .args(["--config", path.to_str().expect("utf8"), "config"])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let err = stderr(0o644);
    assert!(err.contains("warning"), "{err}");
    assert!(
        err.contains("shared.toml is readable by its group and by others"),
        "{err}"
    );
    assert!(err.contains("chmod 600"), "{err}");
    assert!(stderr(0o640).contains("readable by its group (mode 640)"));
    assert_eq!(stderr(0o600), "", "only the owner can read it: no warning");
}
