//! The layers hold: crates depend one way (toward omni-core), omni-core uses
//! no I/O crate and touches no file, socket or clock, and inside every crate
//! the top-level modules form no cycle. Read from the sources and manifests,
//! so a change that breaks a layer fails here with the offending path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.rs` file under `dir`.
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

/// The top-level module a file of `src` belongs to (`engine` for
/// `src/engine/trading.rs`, `random` for `src/random.rs`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.trim_end_matches(".rs");
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// `crate::x` paths in a file, including inside `use crate::{x, y::z}`,
/// outside comments.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // A group: its first-level names.
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let name: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// Module → modules it uses, for the crate whose sources are in `src`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let Some(m) = module_of(src, f) else { continue };
        let text = std::fs::read_to_string(f).expect("read");
        let deps = graph.entry(m.clone()).or_default();
        for r in crate_refs(&text) {
            if r != m {
                deps.insert(r);
            }
        }
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for deps in graph.values_mut() {
        deps.retain(|d| modules.contains(d));
    }
    graph
}

/// A cycle in the graph, as the modules along it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            match state.get(d.as_str()).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == d).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(d, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

fn crates() -> Vec<(&'static str, PathBuf)> {
    let root = Path::new(ROOT);
    vec![
        ("omni-core", root.join("crates/core")),
        ("omni-feeds", root.join("crates/feeds")),
        ("omni-store", root.join("crates/store")),
        ("omni-sim", root.join("crates/sim")),
        ("omni-research", root.join("crates/research")),
        ("omni-live", root.join("crates/live")),
        ("omni-mockvenue", root.join("crates/mockvenue")),
        ("omni-tui", root.to_path_buf()),
    ]
}

#[test]
fn no_crate_has_a_cycle_between_its_modules() {
    for (name, dir) in crates() {
        let graph = module_graph(&dir.join("src"));
        assert!(graph.len() >= 2, "{name}: found its modules");
        if let Some(cycle) = find_cycle(&graph) {
            panic!("{name}: modules form a cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_checker_finds_a_cycle_when_there_is_one() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        crate_refs("use crate::{config::X, domain};\nlet x = crate::engine::E; // crate::ui"),
        ["config", "domain", "engine"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

/// `[dependencies]` names of a manifest.
fn dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).expect("Cargo.toml");
    let doc: toml::Table = toml::from_str(&text).expect("toml");
    doc.get("dependencies")
        .and_then(toml::Value::as_table)
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn crates_depend_one_way_toward_the_core() {
    let omni = |deps: &BTreeSet<String>| -> BTreeSet<String> {
        deps.iter()
            .filter(|d| d.starts_with("omni-"))
            .cloned()
            .collect()
    };
    for (name, dir) in crates() {
        let deps = omni(&dependencies(&dir.join("Cargo.toml")));
        let allowed: &[&str] = match name {
            "omni-core" => &[],
            "omni-tui" => &[
                "omni-core",
                "omni-feeds",
                "omni-live",
                "omni-store",
                "omni-sim",
                "omni-research",
            ],
            _ => &["omni-core"],
        };
        for d in &deps {
            assert!(
                allowed.contains(&d.as_str()),
                "{name} must not depend on {d} (allowed: {allowed:?})"
            );
        }
    }
}

#[test]
fn the_core_uses_no_io_crate_and_touches_no_file_socket_or_clock() {
    let deps = dependencies(&Path::new(ROOT).join("crates/core/Cargo.toml"));
    for io in [
        "tokio",
        "reqwest",
        "rusqlite",
        "ratatui",
        "crossterm",
        "tokio-tungstenite",
        "flate2",
        "dirs",
        "tracing-appender",
    ] {
        assert!(!deps.contains(io), "omni-core depends on {io}");
    }
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("crates/core/src"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for banned in [
                "std::fs",
                "std::net",
                "std::io::stdin",
                "Instant::now",
                "SystemTime::now",
                "Utc::now",
                "thread::sleep",
            ] {
                assert!(
                    !code.contains(banned),
                    "{}:{}: `{banned}` in omni-core",
                    f.display(),
                    i + 1
                );
            }
        }
    }
}

/// The code outside a test module of a Rust file (everything before its
/// `#[cfg(test)]`).
fn non_test_code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
}

#[test]
fn kind_specific_code_lives_with_its_scanner() {
    // A scanner is added in one place: outside the kinds table, the
    // scanners' own modules and the cockpit's columns, no code names a
    // kind; the rest works from the table, the `Scanner` trait and the
    // trade shape.
    let allowed = [
        "crates/core/src/domain/opportunity.rs",
        "crates/core/src/scanners/",
        "src/ui/format.rs",
    ];
    let mut files = Vec::new();
    for dir in ["crates", "src"] {
        rust_files(&Path::new(ROOT).join(dir), &mut files);
    }
    let mut offenders = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(ROOT)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if rel.contains("/tests/") || allowed.iter().any(|a| rel.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        for kind in ["Arbitrage", "Forex", "Binary"] {
            for path in [
                format!("OpportunityKind::{kind}"),
                format!("OpportunityDetail::{kind}"),
            ] {
                if non_test_code(&text).contains(&path) {
                    offenders.push(format!("{rel}: {path}"));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "kind-specific code outside its scanner: {offenders:#?}"
    );
}
