//! Native unit tests of every conversion, with fake connections standing in for Spin's.
#![allow(clippy::unwrap_used)]

mod config;
mod http;
mod pg;
mod push;
mod redis;
mod redis_live;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future that never waits (the ports here call synchronous fakes).
pub fn ready<F: Future>(f: F) -> F::Output {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the future waited"),
    }
}
