//! One file per route.

mod audit_page;
mod delete_sandbox_page;
mod environment_page;
mod login_page;
mod new_sandbox_page;
mod not_found;
mod overview_page;
mod promote_page;
mod sandbox_page;
mod sandboxes_page;
mod tokens_page;

pub use audit_page::AuditPage;
pub use delete_sandbox_page::DeleteSandboxPage;
pub use environment_page::EnvironmentPage;
pub use login_page::LoginPage;
pub use new_sandbox_page::NewSandboxPage;
pub use not_found::NotFound;
pub use overview_page::OverviewPage;
pub use promote_page::PromotePage;
pub use sandbox_page::SandboxPage;
pub use sandboxes_page::SandboxesPage;
pub use tokens_page::TokensPage;
