//! One file per route.

mod environment_page;
mod not_found;
mod overview_page;
mod sandbox_page;
mod sandboxes_page;

pub use environment_page::EnvironmentPage;
pub use not_found::NotFound;
pub use overview_page::OverviewPage;
pub use sandbox_page::SandboxPage;
pub use sandboxes_page::SandboxesPage;
