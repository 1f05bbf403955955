//! Minute bars bundled with the binary. Each is a real slice of the data in
//! `../shared/data` (see assets/demo/README.md for the source rows).

/// The bundled series by file name.
pub const EMBEDDED: [(&str, &str); 8] = [
    (
        "btcusdt_m1.csv",
        include_str!("../../../../assets/demo/btcusdt_m1.csv"),
    ),
    (
        "btcusdt_h1.csv",
        include_str!("../../../../assets/demo/btcusdt_h1.csv"),
    ),
    (
        "ethusdt_m1.csv",
        include_str!("../../../../assets/demo/ethusdt_m1.csv"),
    ),
    (
        "ethusdt_h1.csv",
        include_str!("../../../../assets/demo/ethusdt_h1.csv"),
    ),
    (
        "eurusd_m1.csv",
        include_str!("../../../../assets/demo/eurusd_m1.csv"),
    ),
    (
        "eurusd_h1.csv",
        include_str!("../../../../assets/demo/eurusd_h1.csv"),
    ),
    (
        "xauusd_m1.csv",
        include_str!("../../../../assets/demo/xauusd_m1.csv"),
    ),
    (
        "xauusd_h1.csv",
        include_str!("../../../../assets/demo/xauusd_h1.csv"),
    ),
];

/// True if `name` is a series bundled with the binary (what config
/// validation is given to tell bundled names from files).
pub fn is_bundled(name: &str) -> bool {
    embedded(name).is_some()
}

/// The text of a bundled series.
pub fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
