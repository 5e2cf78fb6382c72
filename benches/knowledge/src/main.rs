//! `knowledge-bench`: knowledge search on pgvector (BENCHMARKS.md "Knowledge search"; run by
//! `scripts/bench-knowledge`, which builds the corpus and starts everything).
//!
//! - `load`: a real corpus with real embeddings (`scripts/lib/embed-serve.py corpus`) into the
//!   knowledge schema, several accounts and bases of one dimension (so they share one HNSW
//!   index); then the index as the API creates it, then ANALYZE.
//! - `search`: recall@k of the API's vector search against exact search (the same query
//!   without the index), p50/p95 latency and queries per second, sequential and concurrent,
//!   per `hnsw.ef_search`, for bases searched with the API's account and base filter and for
//!   the whole index unfiltered; whether every filtered search returned top_k rows.
//! - `ingest`: chunks per second end to end through the HTTP API and its consumers.
//!
//! Each prints Markdown.

mod corpus;
mod ingest;
mod load;
mod search;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Knowledge search on pgvector: recall, latency, throughput, ingestion")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Load the corpus into a fresh database and build the index.
    Load(load::Load),
    /// Measure recall, latency and queries per second.
    Search(search::Search),
    /// Measure the ingestion rate through a running platform.
    Ingest(ingest::Ingest),
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Load(args) => load::run(args).await,
        Command::Search(args) => search::run(args).await,
        Command::Ingest(args) => ingest::run(args).await,
    }
}
