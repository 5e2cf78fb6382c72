use std::sync::{Arc, Mutex};

use powernode_api::ports::{JobPush, ReadyJob};
use shared::api::announcement::JobAnnouncement;
use spin_sdk::redis::Error as RedisError;
use uuid::Uuid;

use super::ready;
use crate::push::{Publisher, SpinJobPush, announcements};

/// A published message: its channel and payload.
type Sent = (String, Vec<u8>);

/// Records what is published; fails the publishes whose payload names a job in `failing`.
#[derive(Clone, Default)]
struct FakePublisher {
    sent: Arc<Mutex<Vec<Sent>>>,
    failing: Vec<Uuid>,
}

impl Publisher for FakePublisher {
    fn publish(&self, channel: &str, payload: &[u8]) -> Result<(), RedisError> {
        let announced = JobAnnouncement::from_bytes(payload).unwrap();
        if self.failing.contains(&announced.id) {
            return Err(RedisError::Other("connection refused".into()));
        }
        self.sent
            .lock()
            .unwrap()
            .push((channel.to_string(), payload.to_vec()));
        Ok(())
    }
}

fn job(n: u128, queue: &str, delay_seconds: u32) -> ReadyJob {
    ReadyJob {
        id: Uuid::from_u128(n),
        queue: queue.into(),
        delay_seconds,
    }
}

#[test]
fn only_jobs_due_now_are_announced_in_order() {
    let got = announcements(vec![
        job(1, "default", 0),
        job(2, "email", 30),
        job(3, "maintenance", 0),
    ]);
    let ids: Vec<(u128, &str)> = got.iter().map(|a| (a.id.as_u128(), &*a.queue)).collect();
    assert_eq!(ids, [(1, "default"), (3, "maintenance")]);
}

#[test]
fn push_publishes_each_announcement_on_the_channel_and_counts_them() {
    let fake = FakePublisher::default();
    let push = SpinJobPush::new(fake.clone(), "tenant:jobs");
    assert!(
        push.pushes(),
        "the relay only runs where the runtime pushes"
    );
    let n = ready(push.push(vec![
        job(1, "default", 0),
        job(2, "default", 5),
        job(3, "webhooks", 0),
    ]));
    assert_eq!(n, 2, "the delayed job is left to the relay");
    let sent = fake.sent.lock().unwrap().clone();
    assert_eq!(
        sent.iter()
            .map(|(c, p)| format!("{c} {}", String::from_utf8_lossy(p)))
            .collect::<Vec<_>>(),
        [
            r#"tenant:jobs {"id":"00000000-0000-0000-0000-000000000001","queue":"default"}"#,
            r#"tenant:jobs {"id":"00000000-0000-0000-0000-000000000003","queue":"webhooks"}"#,
        ]
    );
}

#[test]
fn a_failed_publish_is_not_counted_and_does_not_stop_the_others() {
    let fake = FakePublisher {
        failing: vec![Uuid::from_u128(1)],
        ..FakePublisher::default()
    };
    let push = SpinJobPush::new(fake.clone(), "powernode:jobs");
    let n = ready(push.push(vec![job(1, "default", 0), job(2, "default", 0)]));
    assert_eq!(n, 1);
    let sent = fake.sent.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        JobAnnouncement::from_bytes(&sent[0].1).unwrap().id,
        Uuid::from_u128(2)
    );
}

#[test]
fn nothing_to_announce_publishes_nothing() {
    let fake = FakePublisher::default();
    let push = SpinJobPush::new(fake.clone(), "powernode:jobs");
    assert_eq!(ready(push.push(vec![job(9, "default", 60)])), 0);
    assert!(fake.sent.lock().unwrap().is_empty());
}
