//! Group commit of the audit log: the rows of concurrent requests are written in one
//! transaction, and each request waits until its own row is committed before it answers
//! (so that no consultation is ever answered without being audited). One writer at a time;
//! whoever takes the writer's turn flushes everything queued, its own row included.

use std::sync::Mutex;

use tokio::sync::oneshot;
use vigie_store::{AuditEntry, Store};

type Waiter = oneshot::Sender<Result<String, String>>;

/// The audit writer of one server.
#[derive(Debug, Default)]
pub struct AuditWriter {
    pending: Mutex<Vec<(AuditEntry, Waiter)>>,
    turn: tokio::sync::Mutex<()>,
}

impl AuditWriter {
    /// Appends `entry` and returns once it is committed (with the time recorded).
    pub async fn append(&self, store: &Store, entry: AuditEntry) -> Result<String, String> {
        let (tx, mut rx) = oneshot::channel();
        self.pending.lock().expect("not poisoned").push((entry, tx));
        let _turn = self.turn.lock().await;
        // A previous writer may have committed our row while we waited for the turn.
        if let Ok(done) = rx.try_recv() {
            return done;
        }
        let batch = std::mem::take(&mut *self.pending.lock().expect("not poisoned"));
        let (entries, waiters): (Vec<AuditEntry>, Vec<Waiter>) = batch.into_iter().unzip();
        let result = store.audit_many(&entries).await.map_err(|e| e.to_string());
        for w in waiters {
            let _ = w.send(result.clone());
        }
        rx.try_recv().unwrap_or_else(|_| Err("audit row lost from its batch".into()))
    }
}
