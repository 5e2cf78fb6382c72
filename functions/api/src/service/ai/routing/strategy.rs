//! The five strategies. Each picks the first candidate to try; the rest follow by `priority`
//! (lower first), ties in the strategy's own order, for failover. Pure, so each is tested here.

use uuid::Uuid;

/// A strategy's name on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    RoundRobin,
    Weighted,
    LeastLatency,
    LeastCost,
    LeastBusy,
}

impl Strategy {
    /// Every strategy's wire name.
    pub const NAMES: &'static [&'static str] = &[
        "round_robin",
        "weighted",
        "least_latency",
        "least_cost",
        "least_busy",
    ];

    /// Whether the order depends on the live state (the counter, latencies, calls in flight).
    /// The others order by the providers' settings alone, so a call skips reading the state
    /// and lets claiming the call refuse an open breaker or a full window.
    pub fn needs_live_state(self) -> bool {
        matches!(
            self,
            Self::RoundRobin | Self::LeastLatency | Self::LeastBusy
        )
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "round_robin" => Self::RoundRobin,
            "weighted" => Self::Weighted,
            "least_latency" => Self::LeastLatency,
            "least_cost" => Self::LeastCost,
            "least_busy" => Self::LeastBusy,
            _ => return None,
        })
    }
}

/// What a strategy looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub provider: Uuid,
    pub weight: i32,
    pub priority: i32,
    /// This request's estimated cost here, in pico-USD.
    pub estimated_cost: i64,
    /// Calls in flight.
    pub busy: i64,
    /// Moving average latency in microseconds; 0 if unknown (tried first, to learn it).
    pub latency_us: i64,
}

/// The order to try `choices` in (indexes into it). `rr` is the round-robin counter, `random`
/// a uniformly random number, for `weighted`.
pub fn order(strategy: Strategy, choices: &[Choice], rr: i64, random: u64) -> Vec<usize> {
    if choices.is_empty() {
        return Vec::new();
    }
    // The strategy's own ranking, best first; stable on the given order (by id).
    let mut ranked: Vec<usize> = (0..choices.len()).collect();
    match strategy {
        Strategy::RoundRobin => {
            let start = usize::try_from(rr.rem_euclid(choices.len() as i64)).unwrap_or(0);
            ranked.rotate_left(start);
        }
        Strategy::Weighted => {
            let total: u64 = choices.iter().map(|c| c.weight.max(1) as u64).sum();
            let mut point = random % total.max(1);
            let mut first = 0;
            for (i, c) in choices.iter().enumerate() {
                let w = c.weight.max(1) as u64;
                if point < w {
                    first = i;
                    break;
                }
                point -= w;
            }
            ranked.retain(|i| *i != first);
            ranked.insert(0, first);
        }
        Strategy::LeastLatency => ranked.sort_by_key(|i| choices[*i].latency_us),
        Strategy::LeastCost => ranked.sort_by_key(|i| choices[*i].estimated_cost),
        Strategy::LeastBusy => {
            ranked.sort_by_key(|i| (choices[*i].busy, choices[*i].latency_us));
        }
    }
    let first = ranked[0];
    let mut rest: Vec<usize> = ranked[1..].to_vec();
    // Stable: equal priorities keep the strategy's ranking.
    rest.sort_by_key(|i| choices[*i].priority);
    let mut out = vec![first];
    out.extend(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(n: u128, weight: i32, priority: i32, cost: i64, busy: i64, lat: i64) -> Choice {
        Choice {
            provider: Uuid::from_u128(n),
            weight,
            priority,
            estimated_cost: cost,
            busy,
            latency_us: lat,
        }
    }

    #[test]
    fn each_strategy_picks_its_first() {
        let c = vec![
            choice(1, 1, 0, 300, 5, 900),
            choice(2, 1, 0, 100, 2, 500),
            choice(3, 1, 0, 200, 0, 700),
        ];
        assert_eq!(order(Strategy::LeastCost, &c, 0, 0)[0], 1);
        assert_eq!(order(Strategy::LeastLatency, &c, 0, 0)[0], 1);
        assert_eq!(order(Strategy::LeastBusy, &c, 0, 0)[0], 2);
        let firsts: Vec<usize> = (0..6)
            .map(|rr| order(Strategy::RoundRobin, &c, rr, 0)[0])
            .collect();
        assert_eq!(firsts, vec![0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn weighted_follows_the_weights() {
        let c = vec![choice(1, 1, 0, 0, 0, 0), choice(2, 3, 0, 0, 0, 0)];
        let mut counts = [0; 2];
        for random in 0..400u64 {
            counts[order(Strategy::Weighted, &c, 0, random)[0]] += 1;
        }
        assert_eq!(counts, [100, 300]);
    }

    #[test]
    fn fallbacks_follow_priority() {
        let c = vec![
            choice(1, 1, 5, 1, 0, 0),
            choice(2, 1, 1, 2, 0, 0),
            choice(3, 1, 0, 3, 0, 0),
        ];
        // Cheapest first, then the others by priority.
        assert_eq!(order(Strategy::LeastCost, &c, 0, 0), vec![0, 2, 1]);
        assert!(order(Strategy::Weighted, &[], 0, 0).is_empty());
    }
}
