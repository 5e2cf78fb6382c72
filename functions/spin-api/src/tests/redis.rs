use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use powernode_api::ports::{Cache, CacheError};
use spin_sdk::redis::{Error as RedisError, RedisParameter, RedisResult};

use super::ready;
use crate::redis::{
    INCR_MANY_SCRIPT, PUSH_CAPPED_SCRIPT, RedisConn, RedisConnector, SpinCache, classify,
    decode_optional_string,
};

type Reply = Result<Vec<RedisResult>, RedisError>;

/// Answers scripted replies in order and records each command as text.
#[derive(Clone, Default)]
struct FakeRedis {
    sent: Arc<Mutex<Vec<String>>>,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    opened: Arc<Mutex<usize>>,
}

impl FakeRedis {
    fn answering(replies: Vec<Reply>) -> Self {
        let fake = Self::default();
        *fake.replies.lock().unwrap() = replies.into();
        fake
    }
    fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

fn show(p: &RedisParameter) -> String {
    match p {
        RedisParameter::Int64(i) => i.to_string(),
        RedisParameter::Binary(b) if b.len() > 40 => "<script>".into(),
        RedisParameter::Binary(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

impl RedisConn for FakeRedis {
    fn execute(
        &self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, RedisError> {
        let args: Vec<String> = args.iter().map(show).collect();
        self.sent
            .lock()
            .unwrap()
            .push(format!("{command} {}", args.join(" ")).trim().to_string());
        self.replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(vec![]))
    }
}

impl RedisConnector for FakeRedis {
    type Conn = FakeRedis;
    fn open(&self) -> Result<FakeRedis, RedisError> {
        *self.opened.lock().unwrap() += 1;
        Ok(self.clone())
    }
}

fn bin(s: &str) -> RedisResult {
    RedisResult::Binary(s.as_bytes().to_vec())
}

fn ok() -> RedisResult {
    RedisResult::Status("OK".into())
}

#[test]
fn single_key_commands_carry_the_prefix_and_decode() {
    let fake = FakeRedis::answering(vec![
        Ok(vec![RedisResult::Int64(1)]),
        Ok(vec![RedisResult::Int64(0)]),
        Ok(vec![bin("v")]),
        Ok(vec![RedisResult::Nil]),
        Ok(vec![RedisResult::Int64(42)]),
        Ok(vec![RedisResult::Int64(-2)]),
        Ok(vec![RedisResult::Int64(1)]),
        Ok(vec![RedisResult::Status("PONG".into())]),
        Ok(vec![ok()]),
    ]);
    let cache = SpinCache::new(fake.clone(), "pn:");
    assert!(ready(cache.set_nx_ex("lock", "me", 30)).unwrap());
    assert!(!ready(cache.set_nx_ex("lock", "you", 30)).unwrap());
    assert_eq!(ready(cache.get("k")).unwrap().as_deref(), Some("v"));
    assert_eq!(ready(cache.get("absent")).unwrap(), None);
    assert_eq!(ready(cache.ttl("k")).unwrap(), Some(42));
    assert_eq!(ready(cache.ttl("absent")).unwrap(), None);
    ready(cache.del("k")).unwrap();
    ready(cache.ping()).unwrap();
    ready(cache.set_ex("k", "v2", 5)).unwrap();
    assert_eq!(
        fake.sent(),
        vec![
            "EVAL <script> 1 pn:lock me 30",
            "EVAL <script> 1 pn:lock you 30",
            "GET pn:k",
            "GET pn:absent",
            "TTL pn:k",
            "TTL pn:absent",
            "DEL pn:k",
            "PING",
            "SET pn:k v2 EX 5",
        ]
    );
    assert_eq!(
        *fake.opened.lock().unwrap(),
        1,
        "one connection per instance"
    );
}

#[test]
fn counters_run_as_one_atomic_script() {
    let fake = FakeRedis::answering(vec![
        Ok(vec![RedisResult::Int64(1)]),
        Ok(vec![RedisResult::Int64(3), RedisResult::Int64(-1)]),
        Ok(vec![RedisResult::Int64(3)]),
    ]);
    let cache = SpinCache::new(fake.clone(), "pn:");
    assert_eq!(ready(cache.incr_with_ttl("login:a", 900)).unwrap(), 1);
    let many = [("a".to_string(), 2), ("b".to_string(), -1)];
    assert_eq!(
        ready(cache.incr_many_with_ttl(&many, 60)).unwrap(),
        vec![3, -1]
    );
    assert_eq!(
        ready(cache.incr_many_with_ttl(&[], 60)).unwrap(),
        Vec::<i64>::new()
    );
    // A reply of the wrong length is a protocol error, never a silent misattribution.
    assert!(matches!(
        ready(cache.incr_many_with_ttl(&many, 60)),
        Err(CacheError::Protocol(_))
    ));
    assert_eq!(
        fake.sent(),
        vec![
            "EVAL <script> 1 pn:login:a 900 1",
            "EVAL <script> 2 pn:a pn:b 60 2 -1",
            "EVAL <script> 2 pn:a pn:b 60 2 -1",
        ]
    );
    assert!(INCR_MANY_SCRIPT.contains("'NX'") && INCR_MANY_SCRIPT.contains("INCRBY"));
}

#[test]
fn mget_and_lrange_decode_in_order() {
    let fake = FakeRedis::answering(vec![
        Ok(vec![bin("1"), RedisResult::Nil, bin("3")]),
        Ok(vec![bin("new"), bin("old")]),
        Ok(vec![bin("only one")]),
    ]);
    let cache = SpinCache::new(fake.clone(), "p:");
    let keys = ["a", "b", "c"].map(String::from);
    assert_eq!(
        ready(cache.get_many(&keys)).unwrap(),
        vec![Some("1".into()), None, Some("3".into())]
    );
    assert_eq!(ready(cache.list("runs", 20)).unwrap(), vec!["new", "old"]);
    assert_eq!(ready(cache.list("runs", 0)).unwrap(), Vec::<String>::new());
    assert!(ready(cache.get_many(&keys[..2])).is_err());
    assert_eq!(
        ready(cache.get_many(&[])).unwrap(),
        Vec::<Option<String>>::new()
    );
    assert_eq!(
        fake.sent(),
        vec!["MGET p:a p:b p:c", "LRANGE p:runs 0 19", "MGET p:a p:b"]
    );
}

#[test]
fn push_capped_sends_counts_values_and_the_native_trim_index() {
    let fake = FakeRedis::answering(vec![
        Ok(vec![RedisResult::Int64(0)]),
        Ok(vec![RedisResult::Int64(0)]),
    ]);
    let cache = SpinCache::new(fake.clone(), "pn:");
    let lists = [
        ("x".to_string(), vec!["1".to_string(), "2".to_string()]),
        ("empty".to_string(), vec![]),
        ("y".to_string(), vec!["3".to_string()]),
    ];
    ready(cache.push_capped(&lists, 20)).unwrap();
    ready(cache.push_capped(&lists[2..], 0)).unwrap();
    ready(cache.push_capped(&lists[1..2], 20)).unwrap();
    assert_eq!(
        fake.sent(),
        vec![
            "EVAL <script> 2 pn:x pn:y 19 2 1 2 1 3",
            "EVAL <script> 1 pn:y 0 1 3"
        ]
    );
    assert!(PUSH_CAPPED_SCRIPT.contains("LPUSH") && PUSH_CAPPED_SCRIPT.contains("LTRIM"));
}

#[test]
fn odd_replies_are_protocol_errors_not_panics() {
    let fake = FakeRedis::answering(vec![
        Ok(vec![RedisResult::Int64(1), RedisResult::Int64(2)]),
        Ok(vec![RedisResult::Binary(vec![0xff])]),
        Ok(vec![bin("nope")]),
        Ok(vec![RedisResult::Nil]),
        Ok(vec![]),
    ]);
    let cache = SpinCache::new(fake, "pn:");
    assert!(matches!(
        ready(cache.get("a")),
        Err(CacheError::Protocol(_))
    ));
    assert!(matches!(
        ready(cache.get("a")),
        Err(CacheError::Protocol(_))
    ));
    assert!(matches!(ready(cache.ping()), Err(CacheError::Protocol(_))));
    assert!(matches!(
        ready(cache.set_ex("a", "b", 1)),
        Err(CacheError::Protocol(_))
    ));
    assert!(matches!(
        ready(cache.ttl("a")),
        Err(CacheError::Protocol(_))
    ));
    assert_eq!(decode_optional_string(vec![]).unwrap(), None);
}

#[test]
fn errors_are_classified() {
    let fake = FakeRedis::answering(vec![Err(RedisError::Other(
        "Connection refused (os error 111)".into(),
    ))]);
    let cache = SpinCache::new(fake, "pn:");
    assert!(matches!(
        ready(cache.ping()),
        Err(CacheError::Unavailable(_))
    ));
    assert!(matches!(
        classify(RedisError::Other(
            "WRONGTYPE Operation against a key".into()
        )),
        CacheError::Protocol(_)
    ));
    assert!(matches!(
        classify(RedisError::Other("ERR unknown command".into())),
        CacheError::Protocol(_)
    ));
    assert!(matches!(
        classify(RedisError::TooManyConnections),
        CacheError::Unavailable(_)
    ));
    assert!(matches!(
        classify(RedisError::InvalidAddress),
        CacheError::Protocol(_)
    ));
    assert!(matches!(
        classify(RedisError::TypeError),
        CacheError::Protocol(_)
    ));
}
