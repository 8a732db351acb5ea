//! One file per route.

mod audit_page;
mod bookings_page;
mod delete_sandbox_page;
mod environment_page;
mod locks_page;
mod login_page;
mod new_sandbox_page;
mod not_found;
mod overview_page;
mod prod_page;
mod promote_page;
mod releases_page;
mod sandbox_page;
mod sandboxes_page;
mod tokens_page;

pub use not_found::NotFound;
pub use overview_page::OverviewPage;

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// A route whose page is compiled into a wasm chunk of its own, fetched the
/// first time the page is visited (or preloaded when it is the first page
/// served). The page creates its own resources, so its data types and their
/// decoding travel in the chunk too.
macro_rules! lazy_page {
    ($route:ident, $page:path) => {
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                use $page as Page;
                view! { <Page/> }.into_any()
            }
        }
    };
}

lazy_page!(AuditRoute, audit_page::AuditPage);
lazy_page!(BookingsRoute, bookings_page::BookingsPage);
lazy_page!(DeleteSandboxRoute, delete_sandbox_page::DeleteSandboxPage);
lazy_page!(EnvironmentRoute, environment_page::EnvironmentPage);
lazy_page!(LocksRoute, locks_page::LocksPage);
lazy_page!(LoginRoute, login_page::LoginPage);
lazy_page!(NewSandboxRoute, new_sandbox_page::NewSandboxPage);
lazy_page!(ProdRoute, prod_page::ProdPage);
lazy_page!(PromoteRoute, promote_page::PromotePage);
lazy_page!(ReleasesRoute, releases_page::ReleasesPage);
lazy_page!(SandboxRoute, sandbox_page::SandboxPage);
lazy_page!(SandboxesRoute, sandboxes_page::SandboxesPage);
lazy_page!(TokensRoute, tokens_page::TokensPage);
