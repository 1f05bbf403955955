//! `omni-tui trades`: the closed trades in the database.

use anyhow::Context;
use std::path::Path;

/// Prints the trade log, oldest first (the newest `limit`).
pub fn run(db: Option<&Path>, json: bool, limit: usize) -> anyhow::Result<()> {
    let path = db
        .map(Path::to_path_buf)
        .unwrap_or_else(omni_store::default_path);
    anyhow::ensure!(path.is_file(), "no database at {}", path.display());
    let conn =
        omni_store::open_read_only(&path).with_context(|| format!("opening {}", path.display()))?;
    let rows = omni_store::read_trades(&conn, limit)?;
    if json {
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    println!(
        "{:>6}  {:<23}  {:<10} {:<9} {:<9} {:<4} {:>14} {:>14} {:>14} {:>12}  reason",
        "id",
        "closed (UTC)",
        "account",
        "instrument",
        "kind",
        "side",
        "qty",
        "entry",
        "exit",
        "pnl",
    );
    for r in &rows {
        let short = |s: &str| -> String {
            s.parse::<rust_decimal::Decimal>()
                .map(|d| d.round_dp(6).normalize().to_string())
                .unwrap_or_else(|_| s.to_string())
        };
        println!(
            "{:>6}  {:<23}  {:<10} {:<9} {:<9} {:<4} {:>14} {:>14} {:>14} {:>12}  {}",
            r.id,
            r.closed,
            r.account,
            r.instrument,
            r.kind.as_deref().unwrap_or("-"),
            r.side,
            short(&r.qty),
            short(&r.entry_price),
            short(&r.exit_price),
            short(&r.pnl),
            r.reason
        );
    }
    println!("{} trades", rows.len());
    Ok(())
}
