//! The `Db` port over Hyperdrive: tokio-postgres on a Workers socket.
//!
//! A socket belongs to the request that opened it (workerd refuses I/O on it from another
//! request), so there is no pool here: each request gets its own `HyperdriveDb`, which opens
//! one connection on first use and reuses it for the request's statements. A transaction takes
//! that connection for itself (or opens another if it is busy in one already) and hands it back
//! when it commits or rolls back. Hyperdrive pools the connections to Postgres on its side.

use std::cell::RefCell;
use std::rc::Rc;

use powernode_api::db::{DbError, Row, SqlValue};
use powernode_api::maybe_async_trait;
use powernode_api::ports::{Conn, Db, Tx};
use powernode_pg::{as_to_sql, classify, from_pg_rows, params};
use tokio_postgres::{Client, NoTls};
use worker::postgres_tls::PassthroughTls;
use worker::{Env, SecureTransport, Socket, console_error};

/// Where and how to connect, from the binding.
struct Target {
    host: String,
    port: u16,
    user: String,
    password: String,
    database: String,
    tls: bool,
}

/// A request's database.
pub struct HyperdriveDb {
    target: Rc<Target>,
    /// The request's connection while no transaction holds it.
    idle: Rc<RefCell<Option<Rc<Client>>>>,
}

impl HyperdriveDb {
    /// Reads the `HYPERDRIVE` binding; connects lazily.
    pub fn from_env(env: &Env, tls: bool) -> worker::Result<Self> {
        let hd = env.hyperdrive("HYPERDRIVE")?;
        Ok(Self {
            target: Rc::new(Target {
                host: hd.host(),
                port: hd.port(),
                user: hd.user(),
                password: hd.password(),
                database: hd.database(),
                tls,
            }),
            idle: Rc::default(),
        })
    }

    /// The request's connection, opened on first use.
    async fn shared(&self) -> Result<Rc<Client>, DbError> {
        if let Some(client) = self.idle.borrow().as_ref() {
            return Ok(client.clone());
        }
        let client = Rc::new(connect(&self.target).await?);
        // Two first statements of one request may race to connect: keep the first, drop ours.
        let mut slot = self.idle.borrow_mut();
        Ok(slot.get_or_insert(client).clone())
    }
}

async fn connect(target: &Target) -> Result<Client, DbError> {
    let unavailable = |e: worker::Error| DbError::Unavailable(format!("connecting: {e}"));
    let mode = if target.tls {
        SecureTransport::StartTls
    } else {
        SecureTransport::Off
    };
    let socket = Socket::builder()
        .secure_transport(mode)
        .connect(target.host.clone(), target.port)
        .map_err(unavailable)?;
    let mut config = tokio_postgres::Config::new();
    config
        .user(&target.user)
        .password(&target.password)
        .dbname(&target.database)
        .application_name("powernode-cloudflare");
    // The connection future does the socket I/O; it ends when the client is dropped.
    if target.tls {
        let (client, connection) = config
            .connect_raw(socket, PassthroughTls)
            .await
            .map_err(classify)?;
        drive(connection);
        Ok(client)
    } else {
        let (client, connection) = config.connect_raw(socket, NoTls).await.map_err(classify)?;
        drive(connection);
        Ok(client)
    }
}

fn drive<F>(connection: F)
where
    F: std::future::Future<Output = Result<(), tokio_postgres::Error>> + 'static,
{
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = connection.await {
            console_error!("postgres connection ended: {e}");
        }
    });
}

async fn query_on(client: &Client, sql: &str, values: &[SqlValue]) -> Result<Vec<Row>, DbError> {
    let params = params(values);
    let rows = client
        .query(sql, &as_to_sql(&params))
        .await
        .map_err(classify)?;
    from_pg_rows(&rows)
}

async fn execute_on(client: &Client, sql: &str, values: &[SqlValue]) -> Result<u64, DbError> {
    let params = params(values);
    client
        .execute(sql, &as_to_sql(&params))
        .await
        .map_err(classify)
}

maybe_async_trait! {
impl Conn for HyperdriveDb {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        query_on(&*self.shared().await?, sql, params).await
    }
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        execute_on(&*self.shared().await?, sql, params).await
    }
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        self.shared().await?.batch_execute(sql).await.map_err(classify)
    }
}
}

maybe_async_trait! {
impl Db for HyperdriveDb {
    async fn begin(&self) -> Result<Box<dyn Tx>, DbError> {
        // Take the idle connection so statements outside the transaction cannot land in it.
        let taken = self.idle.borrow_mut().take();
        let client = match taken {
            Some(c) => c,
            None => Rc::new(connect(&self.target).await?),
        };
        client.batch_execute("BEGIN").await.map_err(classify)?;
        Ok(Box::new(HyperdriveTx {
            client: Some(client),
            idle: self.idle.clone(),
        }))
    }
}
}

/// A transaction on the request's connection.
struct HyperdriveTx {
    /// `None` once committed or rolled back.
    client: Option<Rc<Client>>,
    idle: Rc<RefCell<Option<Rc<Client>>>>,
}

impl HyperdriveTx {
    fn client(&self) -> Result<&Client, DbError> {
        self.client
            .as_deref()
            .ok_or_else(|| DbError::Query("transaction already finished".into()))
    }

    async fn finish(mut self: Box<Self>, statement: &str) -> Result<(), DbError> {
        let client = self
            .client
            .take()
            .ok_or_else(|| DbError::Query("transaction already finished".into()))?;
        client.batch_execute(statement).await.map_err(classify)?;
        // Clean again: give it back for the request's next statements, unless another
        // connection took the slot meanwhile (then this one simply closes).
        let mut slot = self.idle.borrow_mut();
        if slot.is_none() {
            *slot = Some(client);
        }
        Ok(())
    }
}

maybe_async_trait! {
impl Conn for HyperdriveTx {
    async fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, DbError> {
        query_on(self.client()?, sql, params).await
    }
    async fn execute(&self, sql: &str, params: &[SqlValue]) -> Result<u64, DbError> {
        execute_on(self.client()?, sql, params).await
    }
    async fn batch_execute(&self, sql: &str) -> Result<(), DbError> {
        self.client()?.batch_execute(sql).await.map_err(classify)
    }
}
}

maybe_async_trait! {
impl Tx for HyperdriveTx {
    async fn commit(self: Box<Self>) -> Result<(), DbError> {
        self.finish("COMMIT").await
    }
    async fn rollback(self: Box<Self>) -> Result<(), DbError> {
        self.finish("ROLLBACK").await
    }
}
}

// Dropped without commit or rollback (an early `?` return): the connection is simply not given
// back, so it closes with its last handle and the server rolls the transaction back.
