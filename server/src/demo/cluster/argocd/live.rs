//! What an Application's rollout leaves behind: its Pods as the kubelet
//! reports them, and its sync operation and history as Argo CD records
//! them. Plain records; `rollout` decides how they change.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    Progressing,
    Degraded,
    Missing,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Progressing => "Progressing",
            Health::Degraded => "Degraded",
            Health::Missing => "Missing",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    Creating,
    Starting,
    Ready,
    ErrImagePull,
    PullBackOff,
    CrashLoop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRun {
    pub name: String,
    pub image: String,
    /// Its ReplicaSet's `pod-template-hash`.
    pub template_hash: String,
    pub created_at: i64,
    pub state: PodState,
    pub restarts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub phase: Phase,
    pub message: String,
    pub revision: String,
    pub tag: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

/// One `status.history[]` entry: a sync that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    pub id: i64,
    pub revision: String,
    pub tag: String,
    pub started_at: i64,
    pub deployed_at: i64,
}

/// A name part as Kubernetes generates them (`pod-template-hash`, Pod
/// suffixes): consonants and digits that spell no words, derived from
/// `seed` so a restart of the demo names things the same.
pub fn kube_id(seed: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    Sha256::digest(seed.as_bytes())
        .iter()
        .take(len)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}
