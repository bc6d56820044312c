//! Group commit of new messages on SQLite.
//!
//! SQLite has one writer (the write pool's single connection), and with `synchronous =
//! FULL` in WAL mode every commit waits for an `fsync` of the WAL: on this project's
//! machines 1–3 ms, which alone bounds one-transaction-per-message at a few hundred to
//! ~700 messages per second whatever else is done. Here the messages that arrive while the
//! writer is busy wait in a queue; one task takes all that are waiting and writes them in
//! one transaction, each inside a savepoint of its own (so a refused message, such as a
//! duplicate id, leaves the others alone), commits once, and only then answers each caller.
//! A message is acknowledged only after the commit that made it durable, so the promise of
//! `synchronous = FULL` is kept; what is shared is the `fsync`, the transaction's
//! round trips and the pages (room, indexes, full-text segment) the messages touch alike.
//!
//! Each message's statements go to SQLite as one string (sqlx runs the statements of a
//! string in turn on the connection's worker thread, each binding the `$n` it names from one
//! list of values), so a message costs one hand-off to that thread instead of one per
//! statement. Thread replies and messages in discussions take a few more, to read and
//! rewrite the messages they count in.

use ferrochat_model::Message;
use tokio::sync::{mpsc, oneshot};

use crate::messages::{
    Delivery, Effects, Slots, bind_message, insert_sql, room_update_sql, unread_update_sql,
};
use crate::rows::json_text;
use crate::{Result, Store, StoreError, classify};

/// At most this many messages share a transaction: bounds how long the first of them
/// waits for the others' statements (about 0.1 ms each).
const MAX_BATCH: usize = 128;

/// Messages waiting for the writer; senders wait beyond this (backpressure).
const QUEUE: usize = 4096;

/// Where the values of the `rooms` and `subscriptions` updates sit in one message's string:
/// after the 19 values of [`insert_sql`], which they share (`$2` room, `$4` time, `$5`
/// sender, `$8` `_updatedAt`).
const SLOTS: Slots = Slots {
    rid: 2,
    ts: 4,
    sender: 5,
    updated: 8,
    last_message: 20,
    yes: 21,
    mentioned: 22,
};

struct Job {
    message: Message,
    delivery: Delivery,
    done: oneshot::Sender<Result<()>>,
}

/// The queue in front of the group-commit writer.
#[derive(Clone)]
pub(crate) struct PostQueue {
    jobs: mpsc::Sender<Job>,
}

impl PostQueue {
    /// Starts the writer task. `store` must not hold a queue itself: the task ends when the
    /// last [`PostQueue`] (held by the stores handed out) is dropped.
    pub(crate) fn start(store: Store) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, queue));
        PostQueue { jobs }
    }

    /// Queues a message and waits until the transaction that wrote it committed.
    pub(crate) async fn insert(&self, message: &Message, delivery: &Delivery) -> Result<()> {
        let (done, answer) = oneshot::channel();
        let job = Job {
            message: message.clone(),
            delivery: delivery.clone(),
            done,
        };
        if self.jobs.send(job).await.is_err() {
            return Err(StoreError::GroupCommit("the message writer stopped".into()));
        }
        answer.await.unwrap_or_else(|_| {
            Err(StoreError::GroupCommit(
                "the message writer stopped before answering".into(),
            ))
        })
    }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        store.write_batch(jobs).await;
    }
}

impl Store {
    /// Writes the messages in one transaction and answers each caller after the commit.
    async fn write_batch(&self, jobs: Vec<Job>) {
        match self.write_all(&jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.done.send(outcome);
                }
            }
            Err(e) => {
                // Nothing of this batch was stored: every caller hears why.
                let reason = e.to_string();
                tracing::warn!(error = %reason, messages = jobs.len(), "a group commit of messages failed");
                for job in jobs {
                    let _ = job.done.send(Err(StoreError::GroupCommit(reason.clone())));
                }
            }
        }
    }

    /// Each message's own outcome, or an error that lost the whole transaction.
    async fn write_all(&self, jobs: &[Job]) -> Result<Vec<Result<()>>> {
        let mut tx = self.write.begin().await?;
        let ids: Vec<&str> = jobs.iter().map(|job| job.message.id.as_str()).collect();
        let trashed = Self::trashed_message_ids(&mut tx, &ids).await?;
        let mut outcomes = Vec::with_capacity(jobs.len());
        for job in jobs {
            if trashed.contains(job.message.id.as_str()) {
                outcomes.push(Err(StoreError::Duplicate("messages_pkey".into())));
                continue;
            }
            let outcome = self.write_one(&mut tx, job).await;
            if outcome.is_err() {
                // Undo what this message wrote. When SQLite has rolled back the whole
                // transaction itself (I/O errors, a full disk), the savepoint is gone too
                // and so are the messages before this one: the batch fails.
                sqlx::query("ROLLBACK TO post; RELEASE post")
                    .execute(&mut *tx)
                    .await?;
            }
            outcomes.push(outcome);
        }
        tx.commit().await?;
        Ok(outcomes)
    }

    /// One message inside savepoint `post`, which is released on success and left for the
    /// caller to roll back on failure.
    async fn write_one(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>, job: &Job) -> Result<()> {
        let (message, delivery) = (&job.message, &job.delivery);
        let effects = Effects::of(message, delivery);
        // Thread replies and discussion messages then read and rewrite the messages they
        // count in (the same order as on PostgreSQL: the room before anything else).
        let counts_more = Self::counts_in_thread_or_discussion(message, delivery);
        let mut sql = String::with_capacity(1024);
        sql.push_str("SAVEPOINT post; ");
        sql.push_str(&insert_sql());
        sql.push_str("; ");
        sql.push_str(&room_update_sql(effects.shown_in_room, &SLOTS));
        if effects.unread {
            sql.push_str("; ");
            sql.push_str(&unread_update_sql(&effects, &SLOTS));
        }
        if !counts_more {
            sql.push_str("; RELEASE post");
        }
        let mut query = bind_message(sqlx::query(&sql), message)
            .bind(json_text(message))
            .bind(true);
        for user_id in &effects.mentioned {
            query = query.bind(*user_id);
        }
        query.execute(&mut **tx).await.map_err(classify)?;
        if counts_more {
            self.count_in_thread_and_discussion(tx, message, delivery)
                .await?;
            sqlx::query("RELEASE post").execute(&mut **tx).await?;
        }
        Ok(())
    }
}
