//! Money as integers, so costs add up exactly: prices are micro-USD per million tokens (so a
//! token costs `price` pico-USD), costs pico-USD, budgets nano-USD.

use shared::api::ai::TokenUsage;

use crate::store::ai::PriceMicro;

/// The highest price accepted, in USD per million tokens.
pub const MAX_USD_PER_MTOK: f64 = 1_000_000.0;

/// USD per million tokens to micro-USD per million tokens; `None` for a negative, non-finite
/// or absurd price.
pub fn price_to_micro(usd_per_mtok: f64) -> Option<i64> {
    if !usd_per_mtok.is_finite() || !(0.0..=MAX_USD_PER_MTOK).contains(&usd_per_mtok) {
        return None;
    }
    // The range check keeps this within i64.
    Some((usd_per_mtok * 1e6).round() as i64)
}

/// Micro-USD per million tokens back to USD per million tokens.
pub fn micro_to_price(micro: i64) -> f64 {
    micro as f64 / 1e6
}

/// The cost of `usage` at `price`, in pico-USD: uncached input at the input price, cached input
/// at the cached price (the input price when the model has none), output at the output price.
pub fn cost_pusd(usage: &TokenUsage, price: &PriceMicro) -> i64 {
    let cached = usage
        .cached_input_tokens
        .clamp(0, usage.input_tokens.max(0));
    let uncached = usage.input_tokens.max(0) - cached;
    let output = usage.output_tokens.max(0);
    uncached
        .saturating_mul(price.input)
        .saturating_add(cached.saturating_mul(price.cached_input.unwrap_or(price.input)))
        .saturating_add(output.saturating_mul(price.output))
}

/// Pico-USD as USD.
pub fn pusd_to_usd(pusd: i64) -> f64 {
    pusd as f64 / 1e12
}

/// Pico-USD to nano-USD, rounded up (a reservation never undercounts).
pub fn pusd_to_nusd_ceil(pusd: i64) -> i64 {
    pusd.saturating_add(999) / 1000
}

/// Nano-USD as USD.
pub fn nusd_to_usd(nusd: i64) -> f64 {
    nusd as f64 / 1e9
}

/// USD to nano-USD; `None` for a negative, non-finite or absurd amount.
pub fn usd_to_nusd(usd: f64) -> Option<i64> {
    if !usd.is_finite() || !(0.0..=1e9).contains(&usd) {
        return None;
    }
    Some((usd * 1e9).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_exact_per_token_class() {
        let price = PriceMicro {
            input: price_to_micro(0.15).expect("price"),
            output: price_to_micro(0.6).expect("price"),
            cached_input: Some(price_to_micro(0.075).expect("price")),
        };
        let usage = TokenUsage {
            input_tokens: 1000,
            output_tokens: 200,
            cached_input_tokens: 400,
            total_tokens: 1200,
        };
        // 600 x 0.15 + 400 x 0.075 + 200 x 0.6 = 90 + 30 + 120 = 240 USD per million tokens.
        assert_eq!(cost_pusd(&usage, &price), 240_000_000);
        assert!((pusd_to_usd(cost_pusd(&usage, &price)) - 0.00024).abs() < 1e-15);
        let no_cache_price = PriceMicro {
            cached_input: None,
            ..price
        };
        assert_eq!(cost_pusd(&usage, &no_cache_price), 270_000_000);
    }

    #[test]
    fn bad_prices_are_refused() {
        assert_eq!(price_to_micro(-1.0), None);
        assert_eq!(price_to_micro(f64::NAN), None);
        assert_eq!(price_to_micro(2e6), None);
        assert_eq!(price_to_micro(0.0), Some(0));
        assert_eq!(pusd_to_nusd_ceil(1), 1);
        assert_eq!(pusd_to_nusd_ceil(1000), 1);
        assert_eq!(usd_to_nusd(1.5), Some(1_500_000_000));
    }
}
