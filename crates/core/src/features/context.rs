//! Features from beyond the primary venue's own bars, for the same
//! instrument at the same bar close: other venues' prices (their premium
//! over the primary and their last move: the lead of one venue over
//! another), the taker side of the bar's volume (order-flow imbalance, the
//! trade-side analogue of book imbalance) and the primary venue's top of
//! book (imbalance and microprice offset).
//!
//! Each input may be missing (a venue not quoting, bars without the taker
//! split, history without a book), so each feature comes with whether its
//! inputs were there: a missing input is never read as a zero. A model
//! treats an unavailable feature as carrying no information (its
//! standardised value is 0, the training mean) and its reading counts it.

/// Other venues of one instrument the features follow (slots; a venue
/// keeps its slot from bar to bar). Further venues are ignored.
pub const MAX_OTHER_VENUES: usize = 4;

/// Number of [`CONTEXT_FEATURE_NAMES`].
pub const CONTEXT_FEATURES: usize = 5;

/// Names of the context features, in vector order after the bar features.
///
/// * `xv_premium`: the other venues' log premium over the primary's close,
///   less its own exponentially weighted mean (half-life 60 bars; the
///   standing basis between venues and quote currencies), in units of σ,
///   averaged over the venues that quote;
/// * `xv_ret_1`: the other venues' own one-bar log return in units of σ,
///   averaged over the venues that quoted at this bar and the one before;
/// * `taker_buy`: 2 · (taker-bought share of the bar's volume) − 1;
/// * `book_imbalance`: (bid qty − ask qty) / (bid qty + ask qty) at the
///   primary venue's best prices at the bar's close;
/// * `microprice`: (microprice − mid) / (mid · σ), microprice the
///   size-weighted price (bid · ask qty + ask · bid qty) / (bid qty + ask qty).
///
/// σ is the primary's EWMA of one-bar log returns (as for `ret_1`).
pub const CONTEXT_FEATURE_NAMES: [&str; CONTEXT_FEATURES] = [
    "xv_premium",
    "xv_ret_1",
    "taker_buy",
    "book_imbalance",
    "microprice",
];

/// Another venue's price older than this many bars at a bar's close is
/// stale: that venue counts as not quoting (a venue whose bars are absent
/// in minutes without trades keeps its last close until then).
pub const STALE_BARS: i64 = 10;

/// Half-life, in bars, of each venue's mean premium.
const PREMIUM_HALFLIFE: f64 = 60.0;
/// Premiums a venue must have shown before its deviation counts.
const PREMIUM_WARMUP: u32 = 20;
const CLIP: f64 = 5.0;

/// Best bid and ask with their quantities (floats: the model's inside).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TopOfBook {
    pub bid: f64,
    pub ask: f64,
    pub bid_qty: f64,
    pub ask_qty: f64,
}

/// What is known at a bar's close besides the bar itself. `Default` is
/// "nothing": one venue, no taker split, no book.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BarContext {
    /// Each other venue's price of the same instrument at the bar's close
    /// (its bar's close, or its latest quote mid), by slot; `None` where
    /// it has none (or only a stale one).
    pub others: [Option<f64>; MAX_OTHER_VENUES],
    /// Share of the bar's volume that takers bought (0 to 1).
    pub taker_buy_share: Option<f64>,
    /// The primary venue's best prices at the bar's close.
    pub book: Option<TopOfBook>,
}

#[derive(Clone, Copy, Debug, Default)]
struct VenueState {
    /// EW mean of ln(venue / primary).
    mean: f64,
    /// Premiums seen.
    seen: u32,
    /// The venue's log price at the previous bar, if it quoted then.
    last_log: Option<f64>,
}

/// Streaming state of the context features of one instrument and timeframe.
#[derive(Clone, Debug, Default)]
pub struct ContextState {
    venues: [VenueState; MAX_OTHER_VENUES],
}

/// Context feature values and whether each had its inputs.
pub type ContextValues = ([f64; CONTEXT_FEATURES], [bool; CONTEXT_FEATURES]);

fn finite_positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

impl ContextState {
    /// Takes one bar's context (`close` the primary's close, `sigma` its
    /// one-bar σ in log terms); returns the features and their availability.
    pub fn update(&mut self, close: f64, sigma: f64, ctx: &BarContext) -> ContextValues {
        let lambda = 0.5f64.powf(1.0 / PREMIUM_HALFLIFE);
        let (mut prem_sum, mut prem_n) = (0.0, 0usize);
        let (mut ret_sum, mut ret_n) = (0.0, 0usize);
        for (st, price) in self.venues.iter_mut().zip(ctx.others) {
            let Some(p) = price.filter(|p| finite_positive(*p)) else {
                st.last_log = None;
                continue;
            };
            let log_p = p.ln();
            let premium = log_p - close.ln();
            if st.seen >= PREMIUM_WARMUP {
                prem_sum += (premium - st.mean) / sigma;
                prem_n += 1;
            }
            st.mean = if st.seen == 0 {
                premium
            } else {
                lambda * st.mean + (1.0 - lambda) * premium
            };
            st.seen = st.seen.saturating_add(1);
            if let Some(prev) = st.last_log {
                ret_sum += (log_p - prev) / sigma;
                ret_n += 1;
            }
            st.last_log = Some(log_p);
        }
        let mean = |s: f64, n: usize| (n > 0).then(|| s / n as f64);
        let taker = ctx
            .taker_buy_share
            .filter(|s| (0.0..=1.0).contains(s))
            .map(|s| 2.0 * s - 1.0);
        let book = ctx.book.filter(|b| {
            finite_positive(b.bid)
                && b.ask >= b.bid
                && b.bid_qty >= 0.0
                && b.ask_qty >= 0.0
                && finite_positive(b.bid_qty + b.ask_qty)
        });
        let imbalance = book.map(|b| (b.bid_qty - b.ask_qty) / (b.bid_qty + b.ask_qty));
        let micro = book.map(|b| {
            let mid = 0.5 * (b.bid + b.ask);
            let micro = (b.bid * b.ask_qty + b.ask * b.bid_qty) / (b.bid_qty + b.ask_qty);
            (micro - mid) / (mid * sigma)
        });
        let raw = [
            mean(prem_sum, prem_n),
            mean(ret_sum, ret_n),
            taker,
            imbalance,
            micro,
        ];
        let mut values = [0.0; CONTEXT_FEATURES];
        let mut available = [false; CONTEXT_FEATURES];
        for (k, r) in raw.into_iter().enumerate() {
            if let Some(x) = r.filter(|x| x.is_finite()) {
                values[k] = x.clamp(-CLIP, CLIP);
                available[k] = true;
            }
        }
        (values, available)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn others(a: Option<f64>, b: Option<f64>) -> BarContext {
        BarContext {
            others: [a, b, None, None],
            ..BarContext::default()
        }
    }

    #[test]
    fn nothing_known_is_nothing_available() {
        let mut st = ContextState::default();
        let (v, a) = st.update(100.0, 0.001, &BarContext::default());
        assert_eq!(a, [false; CONTEXT_FEATURES]);
        assert_eq!(v, [0.0; CONTEXT_FEATURES]);
    }

    #[test]
    fn book_and_flow_by_hand() {
        let mut st = ContextState::default();
        let ctx = BarContext {
            taker_buy_share: Some(0.75),
            book: Some(TopOfBook {
                bid: 99.0,
                ask: 101.0,
                bid_qty: 3.0,
                ask_qty: 1.0,
            }),
            ..BarContext::default()
        };
        let (v, a) = st.update(100.0, 0.01, &ctx);
        assert_eq!(a, [false, false, true, true, true]);
        assert!((v[2] - 0.5).abs() < 1e-12);
        assert!((v[3] - 0.5).abs() < 1e-12);
        // micro = (99·1 + 101·3)/4 = 100.5, mid 100: 0.5 / (100 · 0.01).
        assert!((v[4] - 0.5).abs() < 1e-12, "{}", v[4]);
    }

    #[test]
    fn a_venue_missing_for_a_bar_has_no_return_the_next() {
        let mut st = ContextState::default();
        let (_, a) = st.update(100.0, 0.001, &others(Some(100.0), None));
        assert!(!a[1], "no earlier price");
        let (_, a) = st.update(100.0, 0.001, &others(None, Some(100.0)));
        assert!(!a[1], "each venue needs its own earlier price");
        let (v, a) = st.update(100.0, 0.001, &others(None, Some(100.1)));
        assert!(a[1]);
        assert!((v[1] - (100.1f64 / 100.0).ln() / 0.001).abs() < 1e-9);
    }
}
