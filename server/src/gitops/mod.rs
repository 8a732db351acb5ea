//! Everything about the GitOps repositories: the git CLI, the file
//! formats, and the history index.

pub mod change;
pub mod dirs;
pub mod edit;
pub mod files;
pub mod git;
pub mod history;
pub mod names;
pub mod sandbox_edit;
pub mod ssh;
pub mod writer;
pub mod yaml;
