//! A scripted remote for the writer's tests: one file per commit, a log
//! of every operation, and knobs for others pushing first, hand edits
//! between writes, and a push the remote refuses. No git, no clock.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{
    git_ops::{BranchOps, Pushed},
    Author,
};
use crate::gitops::{
    edit::set_branches,
    files::MAX_FILE_BYTES,
    git::{Blob, GitError},
};

#[derive(Default)]
pub struct Remote {
    /// The one file at each commit; `None` where it does not exist.
    files: HashMap<String, Option<String>>,
    parents: HashMap<String, String>,
    head: String,
    commits: u32,
    /// Others push first this many times, each setting `app-b`.
    pub overtake: u32,
    /// The stderr of a push the remote refuses for good.
    pub refuse: Option<String>,
    log: Vec<String>,
}

impl Remote {
    fn new_commit(&mut self, parent: &str, content: Option<String>) -> String {
        self.commits += 1;
        let sha = format!("c{}", self.commits);
        self.files.insert(sha.clone(), content);
        self.parents.insert(sha.clone(), parent.to_string());
        sha
    }
}

#[derive(Clone)]
pub struct Fake(Arc<Mutex<Remote>>);

impl Fake {
    pub fn new(file: Option<&str>) -> Fake {
        Fake(Arc::new(Mutex::new(Remote {
            files: HashMap::from([("c0".into(), file.map(str::to_string))]),
            head: "c0".into(),
            ..Remote::default()
        })))
    }

    pub fn remote(&self) -> std::sync::MutexGuard<'_, Remote> {
        self.0.lock().unwrap()
    }

    /// Someone pushes `content` on top of the branch, outside Berth.
    pub fn hand_edit(&self, content: Option<&str>) {
        let mut remote = self.remote();
        let head = remote.head.clone();
        remote.head = remote.new_commit(&head, content.map(str::to_string));
    }

    /// The log since the last call.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.remote().log)
    }

    pub fn file_at_head(&self) -> Option<String> {
        let remote = self.remote();
        remote.files[&remote.head].clone()
    }
}

impl BranchOps for Fake {
    async fn fetch(&self) -> Result<String, GitError> {
        let mut remote = self.remote();
        let head = remote.head.clone();
        remote.log.push(format!("fetch {head}"));
        Ok(head)
    }

    async fn read(&self, head: &str, _path: &str) -> Result<Blob, GitError> {
        let mut remote = self.remote();
        remote.log.push(format!("read {head}"));
        Ok(match remote.files[head].clone() {
            None => Blob::Missing,
            Some(text) if text.len() > MAX_FILE_BYTES => Blob::TooLarge {
                size: text.len() as u64,
            },
            Some(text) => Blob::Text(text),
        })
    }

    async fn commit(
        &self,
        head: &str,
        _path: &str,
        content: Option<&str>,
        _message: &str,
        _author: &Author,
    ) -> Result<String, GitError> {
        let mut remote = self.remote();
        let sha = remote.new_commit(head, content.map(str::to_string));
        remote.log.push(format!("commit {sha} on {head}"));
        Ok(sha)
    }

    async fn push(&self, commit: &str) -> Result<Pushed, GitError> {
        let mut remote = self.remote();
        if remote.overtake > 0 {
            remote.overtake -= 1;
            let head = remote.head.clone();
            let text = remote.files[&head].clone().unwrap_or_default();
            let other = format!("other-{}", remote.commits);
            let edited = set_branches("f", &text, &[("app-b".into(), other)]).unwrap();
            remote.head = remote.new_commit(&head, edited);
        }
        let answer = if let Some(stderr) = remote.refuse.clone() {
            remote.log.push(format!("push {commit}: refused"));
            return Err(GitError {
                command: "push".into(),
                message: stderr,
            });
        } else if remote.parents[commit] == remote.head {
            remote.head = commit.to_string();
            Pushed::Yes
        } else {
            Pushed::Behind
        };
        remote.log.push(format!("push {commit}: {answer:?}"));
        Ok(answer)
    }

    async fn pause(&self, wait: Duration) {
        self.remote()
            .log
            .push(format!("pause {}ms", wait.as_millis()));
    }
}
