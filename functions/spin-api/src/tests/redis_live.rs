//! `SpinCache` against a real Redis (`POWERNODE_TEST_REDIS_URL`, set by `scripts/test`; skipped
//! without it). The connection is a minimal RESP client that shapes replies exactly as Spin's
//! host does for `execute` (spin `factor-outbound-redis`, `RedisResults::from_redis_value`): nil
//! kept as nil, `OK` as a status, integers, bulk strings as binary, arrays flattened, server
//! errors as errors. So this checks the Lua scripts and every decoder on real Redis answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;

use powernode_api::ports::{Cache, CacheError};
use spin_sdk::redis::{Error as RedisError, RedisParameter, RedisResult};

use super::ready;
use crate::redis::{RedisConn, RedisConnector, SpinCache};

struct Resp(Mutex<BufReader<TcpStream>>);

fn other(e: impl std::fmt::Display) -> RedisError {
    RedisError::Other(e.to_string())
}

fn read_line(r: &mut BufReader<TcpStream>) -> Result<String, RedisError> {
    let mut line = String::new();
    r.read_line(&mut line).map_err(other)?;
    Ok(line.trim_end_matches("\r\n").to_string())
}

fn read_reply(r: &mut BufReader<TcpStream>, out: &mut Vec<RedisResult>) -> Result<(), RedisError> {
    let line = read_line(r)?;
    let (kind, rest) = line.split_at(1);
    match kind {
        "+" => out.push(RedisResult::Status(rest.to_string())),
        "-" => return Err(RedisError::Other(rest.to_string())),
        ":" => out.push(RedisResult::Int64(rest.parse().map_err(other)?)),
        "$" if rest == "-1" => out.push(RedisResult::Nil),
        "$" => {
            let len: usize = rest.parse().map_err(other)?;
            let mut buf = vec![0; len + 2];
            r.read_exact(&mut buf).map_err(other)?;
            buf.truncate(len);
            out.push(RedisResult::Binary(buf));
        }
        "*" if rest == "-1" => out.push(RedisResult::Nil),
        "*" => {
            for _ in 0..rest.parse::<usize>().map_err(other)? {
                read_reply(r, out)?;
            }
        }
        _ => return Err(RedisError::Other(format!("unexpected reply {line:?}"))),
    }
    Ok(())
}

impl RedisConn for Resp {
    fn execute(
        &self,
        command: &str,
        args: &[RedisParameter],
    ) -> Result<Vec<RedisResult>, RedisError> {
        let mut parts: Vec<Vec<u8>> = vec![command.as_bytes().to_vec()];
        parts.extend(args.iter().map(|a| match a {
            RedisParameter::Int64(i) => i.to_string().into_bytes(),
            RedisParameter::Binary(b) => b.clone(),
        }));
        let mut wire = format!("*{}\r\n", parts.len()).into_bytes();
        for p in parts {
            wire.extend(format!("${}\r\n", p.len()).as_bytes());
            wire.extend(p);
            wire.extend(b"\r\n");
        }
        let mut conn = self.0.lock().map_err(other)?;
        conn.get_mut().write_all(&wire).map_err(other)?;
        let mut out = Vec::new();
        read_reply(&mut conn, &mut out)?;
        Ok(out)
    }
}

struct Live(String);

impl RedisConnector for Live {
    type Conn = Resp;
    fn open(&self) -> Result<Resp, RedisError> {
        let addr = self.0.trim_start_matches("redis://");
        let addr = addr.split('/').next().unwrap_or(addr);
        let stream = TcpStream::connect(addr).map_err(other)?;
        Ok(Resp(Mutex::new(BufReader::new(stream))))
    }
}

fn live_cache() -> Option<SpinCache<Live>> {
    let Ok(url) = std::env::var("POWERNODE_TEST_REDIS_URL") else {
        eprintln!("skipped: POWERNODE_TEST_REDIS_URL is not set");
        return None;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    Some(SpinCache::new(Live(url), &format!("spin-test:{nanos}:")))
}

#[test]
fn every_cache_method_against_real_redis() {
    let Some(cache) = live_cache() else { return };
    ready(cache.ping()).unwrap();

    assert_eq!(ready(cache.incr_with_ttl("c", 60)).unwrap(), 1);
    assert_eq!(ready(cache.incr_with_ttl("c", 60)).unwrap(), 2);
    assert!(matches!(ready(cache.ttl("c")).unwrap(), Some(t) if t > 0 && t <= 60));

    let counters = [("a".to_string(), 2), ("b".to_string(), -1)];
    assert_eq!(
        ready(cache.incr_many_with_ttl(&counters, 30)).unwrap(),
        vec![2, -1]
    );
    assert_eq!(
        ready(cache.incr_many_with_ttl(&counters, 30)).unwrap(),
        vec![4, -2]
    );
    assert!(matches!(ready(cache.ttl("b")).unwrap(), Some(t) if t > 0 && t <= 30));

    assert!(ready(cache.set_nx_ex("lock", "me", 30)).unwrap());
    assert!(!ready(cache.set_nx_ex("lock", "you", 30)).unwrap());
    assert_eq!(ready(cache.get("lock")).unwrap().as_deref(), Some("me"));

    ready(cache.set_ex("k", "v", 30)).unwrap();
    ready(cache.set_ex("k", "v2", 30)).unwrap();
    let keys = ["k", "missing", "lock"].map(String::from);
    assert_eq!(
        ready(cache.get_many(&keys)).unwrap(),
        vec![Some("v2".into()), None, Some("me".into())]
    );
    ready(cache.del("k")).unwrap();
    assert_eq!(ready(cache.get("k")).unwrap(), None);
    assert_eq!(ready(cache.ttl("k")).unwrap(), None);

    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    ready(cache.push_capped(
        &[("runs".into(), s(&["1", "2"])), ("other".into(), s(&["x"]))],
        3,
    ))
    .unwrap();
    ready(cache.push_capped(&[("runs".into(), s(&["3", "4"]))], 3)).unwrap();
    assert_eq!(ready(cache.list("runs", 10)).unwrap(), s(&["4", "3", "2"]));
    assert_eq!(ready(cache.list("runs", 1)).unwrap(), s(&["4"]));
    assert_eq!(ready(cache.list("other", 10)).unwrap(), s(&["x"]));

    // A server error (here WRONGTYPE) is a protocol error, not an outage.
    assert!(matches!(
        ready(cache.get("runs")),
        Err(CacheError::Protocol(_))
    ));
    for key in ["c", "a", "b", "lock", "runs", "other"] {
        ready(cache.del(key)).unwrap();
    }
}
