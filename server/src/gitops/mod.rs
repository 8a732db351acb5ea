//! Everything about the GitOps repositories: the git CLI, the file
//! formats, and the history index.

pub mod files;
pub mod git;
pub mod history;
pub mod names;
pub mod ssh;
pub mod yaml;
