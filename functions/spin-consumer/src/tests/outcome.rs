use jobs::deliver::Delivery;

use crate::outcome::{Fate, RELAY_AFTER_SECONDS, fate};

#[test]
fn a_retry_waits_for_the_relay_one_to_two_minutes_past_its_backoff() {
    assert_eq!(
        fate(Delivery::RetryIn(30)),
        Fate::RetriedByRelay {
            earliest: 90,
            latest: 150
        }
    );
    assert_eq!(
        fate(Delivery::RetryIn(u32::MAX)),
        Fate::RetriedByRelay {
            earliest: u64::from(u32::MAX) + 60,
            latest: u64::from(u32::MAX) + 120
        },
        "no overflow"
    );
    assert_eq!(
        fate(Delivery::RetryIn(0)).to_string(),
        "retryable; the relay re-announces it in 60 to 120 s"
    );
}

#[test]
fn ack_is_done_and_a_dead_letter_is_dead_in_postgres() {
    assert_eq!(fate(Delivery::Ack), Fate::Done);
    assert_eq!(fate(Delivery::DeadLetter), Fate::Dead);
    assert!(fate(Delivery::DeadLetter).to_string().contains("Postgres"));
}

#[test]
fn the_relay_window_is_the_apis() {
    assert_eq!(
        i64::try_from(RELAY_AFTER_SECONDS).unwrap(),
        powernode_api::queue::push::RELAY_AFTER.num_seconds()
    );
}
