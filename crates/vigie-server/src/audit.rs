//! Group commit of the audit log: the rows of concurrent requests are written in one
//! transaction, and each request waits until its own row is committed before it answers
//! (so that no consultation is ever answered without being audited). One writer at a time;
//! whoever takes the writer's turn flushes everything queued, its own row included, in a
//! task of its own: a request cancelled meanwhile (a timeout, a client gone) cannot take
//! the other requests' rows down with it.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use vigie_store::{AuditEntry, Store};

type Waiter = oneshot::Sender<Result<String, String>>;

/// The audit writer of one server.
#[derive(Debug, Default)]
pub struct AuditWriter {
    pending: Mutex<Vec<(AuditEntry, Waiter)>>,
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl AuditWriter {
    /// Appends `entry` and returns once it is committed (with the time recorded).
    pub async fn append(&self, store: &Store, entry: AuditEntry) -> Result<String, String> {
        let (tx, mut rx) = oneshot::channel();
        self.pending.lock().expect("not poisoned").push((entry, tx));
        let turn = Arc::clone(&self.turn).lock_owned().await;
        // A previous writer may have committed our row while we waited for the turn: then
        // leave the rows queued since to the next one, which batches more of them.
        if let Ok(done) = rx.try_recv() {
            return done;
        }
        let batch = std::mem::take(&mut *self.pending.lock().expect("not poisoned"));
        if batch.is_empty() {
            drop(turn);
        } else {
            let store = store.clone();
            tokio::spawn(async move {
                let _turn = turn;
                let (entries, waiters): (Vec<AuditEntry>, Vec<Waiter>) = batch.into_iter().unzip();
                let result = store.audit_many(&entries).await.map_err(|e| e.to_string());
                for w in waiters {
                    let _ = w.send(result.clone());
                }
            });
        }
        rx.await.unwrap_or_else(|_| Err("the audit writer stopped before committing".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::AuditWriter;
    use std::sync::Arc;
    use vigie_store::{AuditEntry, Store};

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            at: String::new(),
            token_name: format!("t{i}"),
            route: "GET /v1/companies/{id}".into(),
            company_id: None,
            territory: None,
            outcome: "ok".into(),
            reason: None,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cancelled_requests_do_not_lose_the_rows_of_others() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("a.db").display())).await.unwrap();
        let writer = Arc::new(AuditWriter::default());
        let mut kept = Vec::new();
        for round in 0..20 {
            for i in 0..10 {
                let n = round * 10 + i;
                let (w, s) = (Arc::clone(&writer), store.clone());
                if i % 2 == 0 {
                    // Cancelled after a moment, wherever it is: waiting, or flushing for
                    // the others.
                    let wait = std::time::Duration::from_micros(50 * (1 + n as u64 % 7));
                    tokio::spawn(async move {
                        tokio::time::timeout(wait, w.append(&s, entry(n))).await
                    });
                } else {
                    kept.push((n, tokio::spawn(async move { w.append(&s, entry(n)).await })));
                }
            }
        }
        for (n, t) in kept {
            assert!(t.await.unwrap().is_ok(), "request {n} gets its row committed");
        }
        let names: Vec<String> =
            store.audit_log().await.unwrap().into_iter().map(|e| e.token_name).collect();
        for n in (1..200).step_by(2) {
            assert!(names.contains(&format!("t{n}")), "row of request {n} committed");
        }
    }
}
