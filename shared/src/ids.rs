//! UUIDv7 ids. Built from a time and random bytes the caller supplies, because this crate
//! reads no clock and no entropy source (the API's platform ports do).

use uuid::Uuid;

/// A UUIDv7 from milliseconds since the Unix epoch and 10 random bytes.
pub fn uuid_v7(unix_millis: u64, random: [u8; 10]) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(unix_millis, &random).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_version_7_and_sort_by_time() {
        let a = uuid_v7(1_700_000_000_000, [1; 10]);
        let b = uuid_v7(1_700_000_000_001, [0; 10]);
        assert_eq!(a.get_version_num(), 7);
        assert!(
            a < b,
            "a later millisecond sorts later whatever the random bits"
        );
    }
}
