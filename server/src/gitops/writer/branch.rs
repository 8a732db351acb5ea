//! One branch's writer: the queue its edits wait in, the commit it pushed
//! last, and the thin loop that carries out what the retry rule
//! (`retry.rs`) decides, with real git or a scripted fake.

use tokio::sync::Mutex;

use super::{
    failures::{failed, Stage},
    git_ops::{BranchOps, Pushed},
    retry::{Event, Retry, Step},
    Author, Gate, Outcome, Preview, WriteError,
};
use crate::gitops::{
    change::{unified_diff, Applied, EditError, FileEdit},
    git::Blob,
};

pub struct BranchWriter<O> {
    /// The repository's name, for the log.
    repository: String,
    ops: O,
    /// The queue: tokio's mutex is fair, so edits apply in arrival order.
    queue: Mutex<()>,
    /// The commit this writer pushed last, while nothing else is known to
    /// have moved the branch since.
    last_pushed: std::sync::Mutex<Option<String>>,
    max_attempts: u32,
}

impl<O: BranchOps + Sync> BranchWriter<O> {
    pub fn new(repository: &str, ops: O, max_attempts: u32) -> Self {
        BranchWriter {
            repository: repository.to_string(),
            ops,
            queue: Mutex::new(()),
            last_pushed: std::sync::Mutex::new(None),
            max_attempts,
        }
    }

    /// What `change` would commit on the freshly fetched head.
    pub async fn preview(&self, change: &FileEdit, message: String) -> Result<Preview, WriteError> {
        let current = {
            let _turn = self.queue.lock().await;
            let head = self.fetch().await?;
            self.read(&head, change).await?
        };
        match apply(change, &current)? {
            Applied::Unchanged(why) => Ok(Preview {
                diff: String::new(),
                message,
                unchanged: Some(why),
            }),
            Applied::Write(next) => Ok(Preview {
                diff: unified_diff(change.file(), text_of(&current), next.as_deref()),
                message,
                unchanged: None,
            }),
        }
    }

    /// Waits for its turn, asks `gate`, then applies, commits and pushes
    /// `change`.
    pub async fn write(
        &self,
        change: &FileEdit,
        message: &str,
        author: &Author,
        gate: &dyn Gate,
    ) -> Result<Outcome, WriteError> {
        let _turn = self.queue.lock().await;
        gate.check().await?;
        // Taken, not copied: after any answer but a push of its own, the
        // next edit fetches.
        let known_head = self.last_pushed.lock().expect("writer lock").take();
        let answer = self.drive(change, message, author, known_head).await;
        if let Ok(Outcome::Committed { sha, .. }) = &answer {
            *self.last_pushed.lock().expect("writer lock") = Some(sha.clone());
        }
        answer
    }

    /// Does what the retry rule says until it answers.
    async fn drive(
        &self,
        change: &FileEdit,
        message: &str,
        author: &Author,
        known_head: Option<String>,
    ) -> Result<Outcome, WriteError> {
        let (mut retry, mut step) = Retry::start(known_head, self.max_attempts);
        loop {
            let event = match step {
                Step::Fetch { after } => {
                    if !after.is_zero() {
                        self.ops.pause(after).await;
                    }
                    Event::Fetched {
                        head: self.fetch().await?,
                    }
                }
                Step::Apply { head } => {
                    let current = self.read(&head, change).await?;
                    Event::Applied(apply(change, &current))
                }
                Step::Push { head, content } => {
                    let sha = self
                        .ops
                        .commit(&head, change.file(), content.as_deref(), message, author)
                        .await
                        .map_err(|err| failed(&self.repository, Stage::Commit, err))?;
                    let pushed = self.ops.push(&sha).await;
                    match pushed.map_err(|err| failed(&self.repository, Stage::Push, err))? {
                        Pushed::Yes => Event::Pushed { sha },
                        Pushed::Behind => {
                            tracing::info!(
                                repository = %self.repository,
                                "push lost a race; re-applying on the new head"
                            );
                            Event::Overtaken
                        }
                    }
                }
                Step::Done(answer) => return answer,
            };
            step = retry.next(event);
        }
    }

    async fn fetch(&self) -> Result<String, WriteError> {
        self.ops
            .fetch()
            .await
            .map_err(|err| failed(&self.repository, Stage::Fetch, err))
    }

    async fn read(&self, head: &str, change: &FileEdit) -> Result<Blob, WriteError> {
        self.ops
            .read(head, change.file())
            .await
            .map_err(|err| failed(&self.repository, Stage::Read, err))
    }
}

/// The change applied to the file as read; a file too large to read is
/// only changed where its content does not matter.
fn apply(change: &FileEdit, current: &Blob) -> Result<Applied, EditError> {
    match current {
        Blob::Missing => change.apply(None),
        Blob::Text(text) => change.apply(Some(text)),
        Blob::TooLarge { size } => change.apply_unread(*size),
        // Decoding would rewrite the bad bytes of lines the person never
        // touched, and the preview would not show it.
        Blob::NotUtf8 { .. } => Err(EditError::Invalid(format!(
            "{} is not valid UTF-8, so Argo CD cannot read it either; fix it by hand",
            change.file()
        ))),
    }
}

fn text_of(blob: &Blob) -> Option<&str> {
    match blob {
        Blob::Text(text) => Some(text),
        _ => None,
    }
}
