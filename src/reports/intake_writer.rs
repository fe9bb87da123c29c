//! Group commit for intake: reports wait in one queue and a single writer stores whatever has
//! gathered as one transaction, so one commit (and one fsync) serves every report that arrived
//! while the previous commit ran. Under light load a batch is one report and nothing waits; no
//! report is acknowledged before the transaction holding it has committed.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::store::reports::Intake;
use crate::store::{NewReport, Store, StoreError};

/// At most this many reports share a transaction, which bounds the latency a batch adds.
pub const MAX_BATCH: usize = 256;
/// Reports waiting beyond this make intake wait for room (backpressure), not grow memory.
const QUEUE: usize = 8 * MAX_BATCH;

struct Pending {
    report: NewReport,
    answer: oneshot::Sender<Result<Intake, StoreError>>,
}

/// The handle intake writes through; cheap to share. The writer task ends when the last handle
/// is dropped, after storing what was queued.
#[derive(Debug, Clone)]
pub struct IntakeWriter {
    queue: mpsc::Sender<Pending>,
}

impl IntakeWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>) -> IntakeWriter {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(store, pending));
        IntakeWriter { queue }
    }

    /// Stores one report; returns once its transaction has committed (or failed).
    pub async fn write(&self, report: NewReport) -> Result<Intake, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Pending { report, answer })
            .await
            .map_err(|_| StoreError::Batch("the intake writer has stopped".into()))?;
        answered
            .await
            .map_err(|_| StoreError::Batch("the intake writer stopped before answering".into()))?
    }
}

async fn write_batches(store: Arc<dyn Store>, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (reports, answers): (Vec<NewReport>, Vec<_>) =
            batch.drain(..).map(|p| (p.report, p.answer)).unzip();
        match store.create_reports(&reports).await {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    // A caller that went away (client disconnected) still has its report stored.
                    let _ = answer.send(result);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, reports = reports.len(), "intake batch failed");
                let message = e.to_string();
                for answer in answers {
                    let _ = answer.send(Err(StoreError::Batch(message.clone())));
                }
            }
        }
    }
}
