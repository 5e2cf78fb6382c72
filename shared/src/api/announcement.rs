//! The message a push transport carries when the API announces a job (Spin's Redis channel):
//! `{"id":"<uuid>","queue":"<name>"}`, UTF-8 JSON.
//!
//! It is a hint, not the job: the consumer claims the job by `id` through the API, and Postgres
//! decides whether there is anything to run. `queue` travels along so a consumer can leave
//! alone, without a request, the queues another process serves (`file_processing` is the
//! media runner's). Fields added later are ignored by older consumers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One announced job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobAnnouncement {
    /// The job; consumers claim it by id.
    pub id: Uuid,
    /// Its queue.
    pub queue: String,
}

/// Why a message is not an announcement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a job announcement: {0}")]
pub struct AnnouncementError(String);

impl JobAnnouncement {
    /// The message's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A struct of a Uuid and a String always serialises.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a message. The error names what is wrong, never echoes the payload (it came from
    /// a channel anyone with access to the Redis can publish on).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let announcement: Self = serde_json::from_slice(bytes).map_err(|e| {
            AnnouncementError(match e.classify() {
                serde_json::error::Category::Data => "missing or mistyped `id`/`queue`".into(),
                _ => "not JSON".into(),
            })
        })?;
        if announcement.queue.is_empty() {
            return Err(AnnouncementError("empty `queue`".into()));
        }
        Ok(announcement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_has_the_documented_shape() {
        let a = JobAnnouncement {
            id: Uuid::from_u128(0x0190b3c1_0000_7000_8000_000000000001),
            queue: "default".into(),
        };
        let bytes = a.to_bytes();
        assert_eq!(
            std::str::from_utf8(&bytes).ok(),
            Some(r#"{"id":"0190b3c1-0000-7000-8000-000000000001","queue":"default"}"#)
        );
        assert_eq!(JobAnnouncement::from_bytes(&bytes), Ok(a));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let got = JobAnnouncement::from_bytes(
            br#"{"queue":"email","id":"0190b3c1-0000-7000-8000-000000000002","v":2}"#,
        );
        assert_eq!(got.map(|a| a.queue), Ok("email".to_string()));
    }

    #[test]
    fn malformed_messages_are_refused_without_echoing_them() {
        for (payload, why) in [
            (&b"0190b3c1-0000-7000-8000-000000000001"[..], "not JSON"),
            (
                br#"{"id":"0190b3c1-0000-7000-8000-000000000001"}"#,
                "missing",
            ),
            (br#"{"id":"not-a-uuid","queue":"default"}"#, "mistyped"),
            (
                br#"{"id":"0190b3c1-0000-7000-8000-000000000001","queue":""}"#,
                "empty",
            ),
            (&[0xff, 0xfe][..], "not JSON"),
        ] {
            let err = JobAnnouncement::from_bytes(payload)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(why), "{payload:?}: {err}");
            assert!(
                !err.contains("not-a-uuid"),
                "the payload is not echoed: {err}"
            );
        }
    }
}
