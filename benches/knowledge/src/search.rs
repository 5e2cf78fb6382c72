//! `search`: recall@k of the HNSW search against exact search, latency and queries per second,
//! per query set (a base, filtered as the API filters; or the whole index, unfiltered) and per
//! `hnsw.ef_search`.
//!
//! Each search runs as the API runs it (`service::knowledge::search::run`, mode `vector`): a
//! transaction, `KnowledgeSearchSettings` (iterative scan, ef_search), `KnowledgeSearchVector`,
//! `KnowledgeSearchVectorExact` only when the index answered fewer than top_k rows, rollback;
//! prepared once per connection (the API's pool caches its statements the same way). Ground
//! truth is `KnowledgeSearchVectorExact` (the same query without the index) for a base, and its
//! twin without the filter for the whole index. Latency is the whole transaction, measured by
//! the client on the same machine.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use pgvector::Vector;
use powernode_api::store::sql;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};
use uuid::Uuid;

use crate::corpus::{self, DIMS, Query};
use crate::load::connect;

#[derive(clap::Args)]
pub struct Search {
    /// Postgres, loaded by `load`.
    #[arg(long)]
    db: String,
    /// The corpus directory (its queries).
    #[arg(long)]
    corpus: PathBuf,
    /// Query sets: a base's name (searched with the API's base and account filter, with
    /// sentences held out of that base, then of its package's other bases); `NAME:foreign`
    /// (the same base, with sentences of the other packages: the worst case for a filter);
    /// `all` (the whole index, no filter, every base's sentences).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "kernel,python-guides,python-guides:foreign,perl-faq,all"
    )]
    sets: Vec<String>,
    /// `hnsw.ef_search` values.
    #[arg(long, value_delimiter = ',', default_value = "40,100,200")]
    ef: Vec<u32>,
    /// Queries per set: the base's own held-out sentences first, then others'.
    #[arg(long, default_value_t = 400)]
    queries: usize,
    /// Results per search.
    #[arg(long, default_value_t = 10)]
    top_k: i64,
    /// Concurrency levels measured besides sequential.
    #[arg(long, value_delimiter = ',', default_value = "2,4")]
    concurrency: Vec<usize>,
    /// Try a change of the search SQL: the index CTE keeps max(top_k, N) rows, the outer
    /// query cuts them to top_k (more candidates for a filtered iterative scan).
    #[arg(long)]
    overfetch: Option<u32>,
    /// Passes over the query set for each timed run.
    #[arg(long, default_value_t = 2)]
    passes: usize,
}

/// The unfiltered search over the dimension's whole index: `KnowledgeSearchVector` without
/// the base and account filter, the same expression and predicate so it uses the same index.
const SEARCH_ALL: &str = "WITH nearest AS MATERIALIZED (
    SELECT id, embedding::vector({dims}) <=> $1::vector({dims}) AS distance
      FROM knowledge_chunks
     WHERE dimensions = {dims}
     ORDER BY embedding::vector({dims}) <=> $1::vector({dims})
     LIMIT $2)
SELECT c.id, c.document_id, d.title, c.body, (1 - n.distance)::float8 AS score
  FROM nearest n
  JOIN knowledge_chunks c ON c.id = n.id
  JOIN knowledge_documents d ON d.id = c.document_id
 ORDER BY n.distance, c.id";

/// Its exact twin (the bare column's expression matches no index).
const SEARCH_ALL_EXACT: &str = "WITH nearest AS MATERIALIZED (
    SELECT id, embedding <=> $1::vector AS distance
      FROM knowledge_chunks
     WHERE dimensions = {dims}
     ORDER BY embedding <=> $1::vector
     LIMIT $2)
SELECT c.id, c.document_id, d.title, c.body, (1 - n.distance)::float8 AS score
  FROM nearest n
  JOIN knowledge_chunks c ON c.id = n.id
  JOIN knowledge_documents d ON d.id = c.document_id
 ORDER BY n.distance, c.id";

fn dims(sql: &str) -> String {
    sql.replace("{dims}", &DIMS.to_string())
}

/// A query set: a base searched with the API's filter, or the whole index.
#[derive(Clone)]
struct Set {
    label: String,
    /// (base, account); `None`: unfiltered.
    filter: Option<(Uuid, Uuid)>,
    /// Chunks the filter admits.
    rows: i64,
    queries: Arc<Vec<Vector>>,
    /// Where the queries come from.
    provenance: String,
}

/// One connection with the statements prepared.
struct Conn {
    client: Client,
    settings: Statement,
    approx: Statement,
    exact: Statement,
    approx_sql: String,
    exact_sql: String,
}

impl Conn {
    async fn open(url: &str, filtered: bool, overfetch: Option<u32>) -> Result<Self> {
        let client = connect(url).await?;
        let (mut approx, exact, k) = if filtered {
            (
                dims(sql::KNOWLEDGE_SEARCH_VECTOR),
                dims(sql::KNOWLEDGE_SEARCH_VECTOR_EXACT),
                "$4",
            )
        } else {
            (dims(SEARCH_ALL), dims(SEARCH_ALL_EXACT), "$2")
        };
        if let Some(n) = overfetch {
            // The index CTE keeps max(top_k, n) rows; the outer query cuts to top_k.
            let limit = format!("LIMIT {k})");
            if !approx.contains(&limit) {
                bail!("--overfetch: the search SQL has no `{limit}` to widen");
            }
            approx = approx.replacen(&limit, &format!("LIMIT greatest({k}::bigint, {n}))"), 1);
            approx.push_str(&format!("\n LIMIT {k}"));
        }
        Ok(Self {
            settings: client.prepare(sql::KNOWLEDGE_SEARCH_SETTINGS).await?,
            approx: client.prepare(&approx).await?,
            exact: client.prepare(&exact).await?,
            approx_sql: approx,
            exact_sql: exact,
            client,
        })
    }

    /// One search as the API runs it (`service::knowledge::search::run`, mode `vector`): a
    /// transaction, the settings, the index query, and the exact query when the index query
    /// returned fewer than top_k rows. `ef` `None`: the exact query alone. Returns the time of
    /// the whole transaction and the index query's answer ((id, score), best first).
    async fn search(
        &mut self,
        set: &Set,
        query: &Vector,
        top_k: i64,
        ef: Option<u32>,
    ) -> Result<(Duration, Vec<(Uuid, f64)>)> {
        let started = Instant::now();
        let tx = self.client.transaction().await?;
        let params: Vec<&(dyn ToSql + Sync)> = match &set.filter {
            Some((base, account)) => vec![base, account, query, &top_k],
            None => vec![query, &top_k],
        };
        let rows = match ef {
            Some(ef) => {
                tx.query(&self.settings, &[&ef.to_string()]).await?;
                let rows = tx.query(&self.approx, &params).await?;
                if rows.len() < usize::try_from(top_k).unwrap_or(usize::MAX) {
                    tx.query(&self.exact, &params).await?;
                }
                rows
            }
            None => tx.query(&self.exact, &params).await?,
        };
        tx.rollback().await?;
        let took = started.elapsed();
        let hits = rows
            .iter()
            .map(|r| Ok((r.try_get::<_, Uuid>("id")?, r.try_get::<_, f64>("score")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok((took, hits))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((last as f64) * p).round() as usize;
    sorted.get(rank).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Found: an answer in the exact top k, or as near as the exact k-th (a tie: equal texts have
/// equal vectors, and either is a right answer).
fn recall(exact: &[(Uuid, f64)], approx: &[(Uuid, f64)], k: usize) -> f64 {
    let want = exact.len().min(k);
    if want == 0 {
        return 1.0;
    }
    let ids: HashSet<Uuid> = exact.iter().map(|(id, _)| *id).collect();
    let kth = exact.get(want - 1).map_or(f64::INFINITY, |(_, s)| *s);
    let found = approx
        .iter()
        .take(k)
        .filter(|(id, score)| ids.contains(id) || *score >= kth - 1e-6)
        .count()
        .min(want);
    #[allow(clippy::cast_precision_loss)]
    let r = found as f64 / want as f64;
    r
}

/// Every query of the set `passes` times over `concurrency` connections; returns the latencies
/// and the wall time. The answers of the first pass are returned in query order.
async fn timed(
    conns: &mut Vec<Conn>,
    set: &Set,
    top_k: i64,
    ef: Option<u32>,
    concurrency: usize,
    passes: usize,
) -> Result<(Vec<Duration>, Duration, Vec<Vec<(Uuid, f64)>>)> {
    let n = set.queries.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let Some(mut conn) = conns.pop() else {
            bail!("not enough connections");
        };
        let set = set.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = w;
            while i < n * passes {
                let q = &set.queries[i % n];
                let (took, hits) = conn.search(&set, q, top_k, ef).await?;
                out.push((i, took, hits));
                i += concurrency;
            }
            Ok::<_, anyhow::Error>((conn, out))
        }));
    }
    let mut latencies = Vec::with_capacity(n * passes);
    let mut answers = vec![Vec::new(); n];
    for task in tasks {
        let (conn, out) = task.await.context("search task")??;
        conns.push(conn);
        for (i, took, hits) in out {
            latencies.push(took);
            if i < n {
                answers[i] = hits;
            }
        }
    }
    let wall = started.elapsed();
    latencies.sort_unstable();
    Ok((latencies, wall, answers))
}

/// The plan the prepared statement runs with now (after the timed runs, so a generic plan the
/// plan cache switched to shows): which index it reads.
async fn plan(conn: &mut Conn, set: &Set, top_k: i64, ef: u32) -> Result<String> {
    let Some(query) = set.queries.first() else {
        return Ok("-".into());
    };
    let vector = corpus::vector_text(query.as_slice());
    let args = match &set.filter {
        Some((base, account)) => format!("'{base}', '{account}', '{vector}', {top_k}"),
        None => format!("'{vector}', {top_k}"),
    };
    let name = statement_name(&conn.client, &conn.approx_sql).await?;
    let tx = conn.client.transaction().await?;
    tx.query(&conn.settings, &[&ef.to_string()]).await?;
    let rows = tx
        .query(
            &format!("EXPLAIN (FORMAT JSON) EXECUTE {name}({args})"),
            &[],
        )
        .await?;
    tx.commit().await?;
    let json: serde_json::Value = match rows.first() {
        Some(r) => r.try_get(0)?,
        None => return Ok("-".into()),
    };
    let text = json.to_string();
    let generic = text.contains("$1");
    let mut nodes = Vec::new();
    collect_scans(&json, &mut nodes);
    Ok(format!(
        "{}{}",
        nodes.join(" + "),
        if generic { " (generic plan)" } else { "" }
    ))
}

/// The session's name of a statement it prepared (tokio-postgres keeps it private).
async fn statement_name(client: &Client, sql: &str) -> Result<String> {
    let row = client
        .query_opt(
            "SELECT name FROM pg_prepared_statements WHERE statement = $1 LIMIT 1",
            &[&sql],
        )
        .await?
        .context("the statement is not prepared on this connection")?;
    Ok(row.try_get(0)?)
}

/// The scans of the CTE `nearest` (the first relation scans of the plan, depth first).
fn collect_scans(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(node)) = map.get("Node Type")
                && node.contains("Scan")
                && map.get("Parent Relationship").and_then(|p| p.as_str()) != Some("Inner")
            {
                let index = map
                    .get("Index Name")
                    .and_then(|i| i.as_str())
                    .map(|i| format!(" {i}"))
                    .unwrap_or_default();
                let label = format!("{node}{index}");
                if out.len() < 2 && !out.contains(&label) {
                    out.push(label);
                }
            }
            for value in map.values() {
                collect_scans(value, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_scans(item, out);
            }
        }
        _ => {}
    }
}

pub async fn run(args: Search) -> Result<()> {
    let queries = corpus::read_queries(&args.corpus)?;
    if queries.is_empty() {
        bail!("no queries in the corpus");
    }
    let admin = connect(&args.db).await?;
    let k = usize::try_from(args.top_k).context("--top-k")?;
    let max_conc = args.concurrency.iter().copied().max().unwrap_or(1).max(1);

    // bases.tsv: base, account, source package.
    let packages: HashMap<String, String> = corpus::read_tsv(&args.corpus.join("bases.tsv"), 5)?
        .into_iter()
        .map(|row| (corpus::unescape(&row[0]), corpus::unescape(&row[2])))
        .collect();
    let package_of = |base: &str| packages.get(base).cloned().unwrap_or_default();
    let mut sets = Vec::new();
    for spec in &args.sets {
        if spec == "all" {
            let rows: i64 = admin
                .query_one(
                    "SELECT count(*) FROM knowledge_chunks WHERE dimensions = $1",
                    &[&i32::try_from(DIMS)?],
                )
                .await?
                .try_get(0)?;
            let all: Vec<&Query> = queries.iter().collect();
            sets.push(Set {
                label: "whole index, no filter".into(),
                filter: None,
                rows,
                provenance: format!("every base's held-out sentences ({})", all.len()),
                queries: Arc::new(spread(&all, args.queries)),
            });
            continue;
        }
        let (name, foreign) = match spec.split_once(':') {
            Some((name, "foreign")) => (name, true),
            Some(_) => bail!("query set {spec}: NAME, NAME:foreign or all"),
            None => (spec.as_str(), false),
        };
        let row = admin
            .query_opt(
                "SELECT b.id, b.account_id, (SELECT count(*) FROM knowledge_chunks c \
                  WHERE c.knowledge_base_id = b.id AND c.dimensions = $2) AS n \
                   FROM knowledge_bases b WHERE b.name = $1",
                &[&name, &i32::try_from(DIMS)?],
            )
            .await?
            .with_context(|| format!("no base named {name}"))?;
        let package = package_of(name);
        let (picked, provenance) = if foreign {
            let other: Vec<&Query> = queries
                .iter()
                .filter(|q| package_of(&q.base) != package)
                .collect();
            (
                spread(&other, args.queries),
                format!("sentences of the other packages than {package}"),
            )
        } else {
            let own: Vec<&Query> = queries.iter().filter(|q| q.base == name).collect();
            let sibling: Vec<&Query> = queries
                .iter()
                .filter(|q| q.base != name && package_of(&q.base) == package)
                .collect();
            let mut picked = spread(&own, args.queries);
            let from_own = picked.len();
            picked.extend(spread(&sibling, args.queries - from_own));
            let from_sibling = picked.len() - from_own;
            let provenance = if from_sibling == 0 {
                format!("held out of `{name}`")
            } else {
                format!(
                    "{from_own} held out of `{name}`, {from_sibling} of the other {package} bases"
                )
            };
            (picked, provenance)
        };
        sets.push(Set {
            label: if foreign {
                format!("`{name}`, other packages' questions")
            } else {
                format!("`{name}`")
            },
            filter: Some((row.try_get(0)?, row.try_get(1)?)),
            rows: row.try_get(2)?,
            provenance,
            queries: Arc::new(picked),
        });
    }
    let total: i64 = admin
        .query_one("SELECT count(*) FROM knowledge_chunks", &[])
        .await?
        .try_get(0)?;
    let settings = admin
        .query_one(
            "SELECT current_setting('shared_buffers'), current_setting('jit'), \
             current_setting('hnsw.max_scan_tuples'), version()",
            &[],
        )
        .await?;
    let (shared_buffers, jit, max_scan, version): (String, String, String, String) = (
        settings.try_get(0)?,
        settings.try_get(1)?,
        settings.try_get(2)?,
        settings.try_get(3)?,
    );
    eprintln!(
        "{total} chunks; {version}; shared_buffers {shared_buffers}, jit {jit}, hnsw.max_scan_tuples {max_scan}"
    );

    let mut notes = Vec::new();
    let mut conc_headers = String::new();
    let mut conc_rule = String::new();
    for c in &args.concurrency {
        conc_headers.push_str(&format!(" QPS at {c} | p95 at {c} |"));
        conc_rule.push_str("---|---|");
    }
    println!(
        "\n### Search: top_k = {}, {} chunks in the index\n",
        args.top_k, total
    );
    println!(
        "| query set | chunks in it | ef_search | recall@{k} | short answers | p50 | p95 | QPS (1 at a time) |{conc_headers} plan |"
    );
    println!("|---|---|---|---|---|---|---|---|{conc_rule}---|");

    for set in &sets {
        let filtered = set.filter.is_some();
        let mut conns = Vec::new();
        for _ in 0..max_conc {
            conns.push(Conn::open(&args.db, filtered, args.overfetch).await?);
        }
        let n = set.queries.len();
        eprintln!(
            "{}: {} rows, {n} queries ({}); exact ground truth",
            set.label, set.rows, set.provenance
        );
        // Ground truth, timed too: the cost of searching without the index.
        let (exact_lat, exact_wall, exact) = timed(&mut conns, set, args.top_k, None, 1, 1).await?;
        let label = &set.label;
        notes.push(format!("- {}: {n} queries, {}.", set.label, set.provenance));
        #[allow(clippy::cast_precision_loss)]
        let exact_qps = n as f64 / exact_wall.as_secs_f64().max(1e-9);
        let want = usize::try_from(set.rows).unwrap_or(usize::MAX).min(k);
        let exact_short = exact.iter().filter(|a| a.len() < want).count();
        println!(
            "| {label} | {} | exact (no index) | 1.000 | {exact_short} of {n} | {} | {} | {exact_qps:.0} |{} {} |",
            set.rows,
            ms(percentile(&exact_lat, 0.5)),
            ms(percentile(&exact_lat, 0.95)),
            " - | - |".repeat(args.concurrency.len()),
            plan_exact(&mut conns, set, args.top_k)
                .await
                .unwrap_or_else(|e| format!("({e})"))
        );
        for &ef in &args.ef {
            eprintln!("{}: ef_search {ef}", set.label);
            // Warm-up pass, untimed.
            timed(&mut conns, set, args.top_k, Some(ef), 1, 1).await?;
            let (lat, wall, answers) =
                timed(&mut conns, set, args.top_k, Some(ef), 1, args.passes).await?;
            #[allow(clippy::cast_precision_loss)]
            let qps = lat.len() as f64 / wall.as_secs_f64().max(1e-9);
            #[allow(clippy::cast_precision_loss)]
            let mean_recall = exact
                .iter()
                .zip(&answers)
                .map(|(e, a)| recall(e, a, k))
                .sum::<f64>()
                / n.max(1) as f64;
            let short = answers.iter().filter(|a| a.len() < want).count();
            let mut conc_cells = String::new();
            for &c in &args.concurrency {
                let (clat, cwall, _) =
                    timed(&mut conns, set, args.top_k, Some(ef), c, args.passes).await?;
                #[allow(clippy::cast_precision_loss)]
                let cqps = clat.len() as f64 / cwall.as_secs_f64().max(1e-9);
                conc_cells.push_str(&format!(" {cqps:.0} | {} |", ms(percentile(&clat, 0.95))));
            }
            let shape = match conns.first_mut() {
                Some(conn) => plan(conn, set, args.top_k, ef)
                    .await
                    .unwrap_or_else(|e| format!("({e})")),
                None => "-".into(),
            };
            println!(
                "| {label} | {} | {ef} | {mean_recall:.3} | {short} of {n} | {} | {} | {qps:.0} |{conc_cells} {shape} |",
                set.rows,
                ms(percentile(&lat, 0.5)),
                ms(percentile(&lat, 0.95)),
            );
        }
    }
    println!();
    for note in notes {
        println!("{note}");
    }
    Ok(())
}

/// The exact query's plan (it must not read the HNSW index).
async fn plan_exact(conns: &mut [Conn], set: &Set, top_k: i64) -> Result<String> {
    let Some(conn) = conns.first_mut() else {
        return Ok("-".into());
    };
    let Some(query) = set.queries.first() else {
        return Ok("-".into());
    };
    let vector = corpus::vector_text(query.as_slice());
    let args = match &set.filter {
        Some((base, account)) => format!("'{base}', '{account}', '{vector}', {top_k}"),
        None => format!("'{vector}', {top_k}"),
    };
    let rows = conn
        .client
        .query(
            &format!(
                "EXPLAIN (FORMAT JSON) EXECUTE {}({args})",
                statement_name(&conn.client, &conn.exact_sql).await?
            ),
            &[],
        )
        .await?;
    let json: serde_json::Value = match rows.first() {
        Some(r) => r.try_get(0)?,
        None => return Ok("-".into()),
    };
    let mut nodes = Vec::new();
    collect_scans(&json, &mut nodes);
    Ok(nodes.join(" + "))
}

/// Up to `n` of `list`, evenly spread over it (deterministic).
fn spread(list: &[&Query], n: usize) -> Vec<Vector> {
    let m = n.min(list.len());
    (0..m)
        .map(|i| Vector::from(list[i * list.len() / m].vector.clone()))
        .collect()
}
