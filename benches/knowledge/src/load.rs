//! `load`: the corpus into the knowledge schema (accounts, bases, documents, chunks with their
//! vectors), then the dimension's HNSW index as the API creates it, then ANALYZE.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use futures_util::SinkExt;
use powernode_api::store::sql;
use tokio_postgres::Client;
use uuid::Uuid;

use crate::corpus::{self, DIMS};

#[derive(clap::Args)]
pub struct Load {
    /// Postgres (a fresh database: the migrations are applied here).
    #[arg(long)]
    db: String,
    /// The corpus directory (`embed-serve.py corpus`).
    #[arg(long)]
    corpus: PathBuf,
    /// Build the index with this `m` (pgvector's default, 16, when unset: the API's SQL as is).
    #[arg(long)]
    m: Option<u32>,
    /// Build the index with this `ef_construction` (default: the API's SQL as it is).
    #[arg(long)]
    ef_construction: Option<u32>,
    /// `maintenance_work_mem` for the index build (the graph should fit in it).
    #[arg(long, default_value = "1GB")]
    maintenance_work_mem: String,
    /// SQL run after the migrations and before the load (to try a schema change, e.g.
    /// `ALTER TABLE knowledge_chunks SET (toast_tuple_target = 4080)`).
    #[arg(long)]
    before_load: Option<String>,
}

/// The embedding model every base names (the ingestion phase serves it under this name).
pub const MODEL: &str = "wordllama-256";

pub async fn connect(url: &str) -> Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("postgres connection: {e}");
        }
    });
    Ok(client)
}

/// The API's migrations, in order, unless the knowledge tables exist already.
async fn migrate(client: &mut Client) -> Result<()> {
    let present: bool = client
        .query_one("SELECT to_regclass('knowledge_chunks') IS NOT NULL", &[])
        .await?
        .get(0);
    if present {
        return Ok(());
    }
    for m in powernode_api::migrate::MIGRATIONS {
        let tx = client.transaction().await?;
        tx.batch_execute(m.sql)
            .await
            .with_context(|| format!("migration {}_{}", m.version, m.name))?;
        tx.commit().await?;
    }
    Ok(())
}

struct Document {
    base: String,
    title: String,
    chunks: Vec<usize>,
}

/// Sends `rows` (COPY text lines) through `COPY ... FROM STDIN`, about a megabyte at a time.
async fn copy_in(
    client: &Client,
    statement: &str,
    rows: impl Iterator<Item = String>,
) -> Result<u64> {
    let sink = client.copy_in(statement).await?;
    futures_util::pin_mut!(sink);
    let mut buf = String::with_capacity(1 << 21);
    for row in rows {
        buf.push_str(&row);
        buf.push('\n');
        if buf.len() >= 1 << 20 {
            sink.send(Bytes::from(std::mem::take(&mut buf))).await?;
        }
    }
    if !buf.is_empty() {
        sink.send(Bytes::from(buf)).await?;
    }
    Ok(sink.finish().await?)
}

pub async fn run(args: Load) -> Result<()> {
    let mut client = connect(&args.db).await?;
    migrate(&mut client).await?;
    let loaded: i64 = client
        .query_one("SELECT count(*) FROM knowledge_chunks", &[])
        .await?
        .get(0);
    if loaded > 0 {
        bail!("knowledge_chunks already holds {loaded} rows: load into a fresh database");
    }
    if let Some(sql) = &args.before_load {
        client.batch_execute(sql).await.context("--before-load")?;
        println!("- before the load: `{sql}`");
    }

    // bases.tsv: base, account, source, documents, chunks.
    let bases = corpus::read_tsv(&args.corpus.join("bases.tsv"), 5)?;
    let chunks = corpus::read_tsv(&args.corpus.join("chunks.tsv"), 5)?;
    let vectors = corpus::read_vectors(&args.corpus.join("chunks.f32"), chunks.len())?;
    let now = chrono::Utc::now();
    let stamp = now.to_rfc3339();

    let mut accounts: BTreeMap<String, Uuid> = BTreeMap::new();
    let mut base_ids: BTreeMap<String, (Uuid, Uuid)> = BTreeMap::new();
    for row in &bases {
        let (base, account) = (corpus::unescape(&row[0]), corpus::unescape(&row[1]));
        let account_id = match accounts.get(&account) {
            Some(id) => *id,
            None => {
                let id = Uuid::now_v7();
                client
                    .execute(
                        "INSERT INTO accounts (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)",
                        &[&id, &account, &now],
                    )
                    .await?;
                accounts.insert(account.clone(), id);
                id
            }
        };
        let id = Uuid::now_v7();
        // Chunk size as the corpus made it (about 50-200 words); bookkeeping only here.
        client
            .execute(
                sql::KNOWLEDGE_BASE_INSERT,
                &[&id, &account_id, &base, &MODEL, &256i32, &0i32, &now],
            )
            .await?;
        client
            .query_one(
                sql::KNOWLEDGE_BASE_LEARN_DIMENSIONS,
                &[&id, &i32::try_from(DIMS)?],
            )
            .await?;
        base_ids.insert(base, (id, account_id));
    }

    // Documents: consecutive chunks of one (base, title).
    let mut documents: Vec<Document> = Vec::new();
    for (i, row) in chunks.iter().enumerate() {
        let (base, title) = (corpus::unescape(&row[0]), corpus::unescape(&row[1]));
        match documents.last_mut() {
            Some(d) if d.base == base && d.title == title => d.chunks.push(i),
            _ => documents.push(Document {
                base,
                title,
                chunks: vec![i],
            }),
        }
    }

    let started = Instant::now();
    let mut doc_rows = Vec::with_capacity(documents.len());
    let mut chunk_rows = Vec::with_capacity(chunks.len());
    for d in &documents {
        let (base_id, account_id) = *base_ids
            .get(&d.base)
            .with_context(|| format!("chunks.tsv names base {}, not in bases.tsv", d.base))?;
        let doc_id = Uuid::now_v7();
        let bodies: Vec<String> = d
            .chunks
            .iter()
            .map(|&i| corpus::unescape(&chunks[i][4]))
            .collect();
        let text = bodies.join("\n\n");
        doc_rows.push(format!(
            "{doc_id}\t{account_id}\t{base_id}\t{}\ttext\t{}\t{}\tready\t{}\t{stamp}\t{stamp}",
            corpus::escape(&d.title),
            corpus::escape(&text),
            corpus::sha256_hex(&text),
            d.chunks.len()
        ));
        for (position, (&i, body)) in d.chunks.iter().zip(&bodies).enumerate() {
            let row = &chunks[i];
            chunk_rows.push(format!(
                "{}\t{account_id}\t{base_id}\t{doc_id}\t{position}\t{}\t{}\t{}\t{DIMS}\t{}",
                Uuid::now_v7(),
                row[4],
                row[3],
                corpus::sha256_hex(body),
                corpus::vector_text(&vectors[i])
            ));
        }
    }
    copy_in(
        &client,
        "COPY knowledge_documents (id, account_id, knowledge_base_id, title, source, body, \
         content_sha256, status, chunk_count, created_at, updated_at) FROM STDIN",
        doc_rows.into_iter(),
    )
    .await
    .context("COPY knowledge_documents")?;
    let copied = copy_in(
        &client,
        "COPY knowledge_chunks (id, account_id, knowledge_base_id, document_id, position, body, \
         token_count, content_sha256, dimensions, embedding) FROM STDIN",
        chunk_rows.into_iter(),
    )
    .await
    .context("COPY knowledge_chunks")?;
    let load_secs = started.elapsed().as_secs_f64();

    // The index, as the API creates it (under its lock, in a transaction); with m and
    // ef_construction only when asked.
    let mut create =
        powernode_api::store::sql::KNOWLEDGE_HNSW_INDEX_CREATE.replace("{dims}", &DIMS.to_string());
    let with: Vec<String> = [("m", args.m), ("ef_construction", args.ef_construction)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} = {v}")))
        .collect();
    if !with.is_empty() {
        let at = create
            .find(" WHERE dimensions")
            .context("KnowledgeHnswIndexCreate has no ` WHERE dimensions` to put WITH before")?;
        create.insert_str(at, &format!(" WITH ({})", with.join(", ")));
    }
    client
        .execute(
            "SELECT set_config('maintenance_work_mem', $1, false)",
            &[&args.maintenance_work_mem],
        )
        .await?;
    let started = Instant::now();
    let tx = client.transaction().await?;
    tx.query(sql::KNOWLEDGE_INDEX_LOCK, &[]).await?;
    tx.batch_execute(&create)
        .await
        .context("creating the HNSW index")?;
    tx.commit().await?;
    let index_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    client
        .batch_execute(
            "ANALYZE knowledge_bases; ANALYZE knowledge_documents; ANALYZE knowledge_chunks",
        )
        .await?;
    let analyze_secs = started.elapsed().as_secs_f64();

    let sizes = client
        .query_one(
            &format!(
                "SELECT pg_total_relation_size('knowledge_chunks')::float8 / 1048576, \
                 pg_relation_size('knowledge_chunks_hnsw_{DIMS}')::float8 / 1048576"
            ),
            &[],
        )
        .await?;
    let (table_mb, index_mb): (f64, f64) = (sizes.get(0), sizes.get(1));

    println!("### Corpus and load\n");
    println!("| base | account | source | documents | chunks | share of the index |");
    println!("|---|---|---|---|---|---|");
    let total = chunks.len().max(1);
    for row in &bases {
        let n: usize = row[4].parse().unwrap_or(0);
        #[allow(clippy::cast_precision_loss)]
        let share = n as f64 * 100.0 / total as f64;
        println!(
            "| {} | {} | {} | {} | {} | {share:.1}% |",
            corpus::unescape(&row[0]),
            corpus::unescape(&row[1]),
            corpus::unescape(&row[2]),
            row[3],
            row[4]
        );
    }
    #[allow(clippy::cast_precision_loss)]
    let rate = copied as f64 / load_secs.max(1e-9);
    println!(
        "\n- {copied} chunks ({} documents, {} accounts) copied in {load_secs:.1} s ({rate:.0} chunks/s: COPY with their vectors and `tsv`, no index yet)",
        documents.len(),
        accounts.len()
    );
    println!(
        "- HNSW index ({}) built in {index_secs:.1} s (maintenance_work_mem {}), {index_mb:.0} MiB; table with its indexes {table_mb:.0} MiB; ANALYZE {analyze_secs:.1} s",
        if with.is_empty() {
            "as the API creates it: `KnowledgeHnswIndexCreate`".to_string()
        } else {
            with.join(", ")
        },
        args.maintenance_work_mem
    );
    Ok(())
}
