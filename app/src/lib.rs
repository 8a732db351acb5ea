//! Berth's web UI: one page that shows which branch runs where, rendered on
//! the server and hydrated in the browser.

pub mod api;
mod components;
pub mod cookies;
pub mod error;
pub mod filters;
pub mod format;
pub mod links;
pub mod live;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod ports;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path, Lazy, SsrMode,
};

use api::Session;
use components::ViewerBar;
use pages::{
    AuditRoute, BookingsRoute, DeleteSandboxRoute, EnvironmentRoute, LocksRoute, LoginRoute,
    NewSandboxRoute, NotFound, OverviewPage, ProdRoute, PromoteRoute, ReleasesRoute, SandboxRoute,
    SandboxesRoute, TokensRoute,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // Both follow cargo-leptos' content-hashed names when the
                // build has them (see `hash-files` in Cargo.toml).
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Session::new());
    live::provide_live_feed();
    // Every route waits for its data before sending HTML, so pages are
    // complete without JavaScript. The overview is in the main wasm module;
    // every other page is a chunk of its own, loaded when it is visited.
    let ssr = SsrMode::Async;
    // Effects run only in the browser: this marks the page as interactive,
    // for people (styles) and for the browser tests.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title formatter=|text| format!("{text} · Berth")/>
        <Router>
            <header class="top">
                <A href="/" attr:class="brand">"Berth"</A>
                <nav>
                    <A href="/" exact=true>"Overview"</A>
                    <A href="/sandboxes" exact=true>"Sandboxes"</A>
                    <A href="/sandboxes/new">"New sandbox"</A>
                    <A href="/promote">"Promote"</A>
                    <A href="/prod">"Prod"</A>
                    <A href="/releases">"Releases"</A>
                    <A href="/locks">"Locks"</A>
                    <A href="/bookings">"Bookings"</A>
                    <A href="/audit">"Audit"</A>
                </nav>
                <ViewerBar/>
            </header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=OverviewPage ssr=ssr.clone()/>
                    <Route path=path!("/env/:name") view={Lazy::<EnvironmentRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/sandboxes") view={Lazy::<SandboxesRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/sandboxes/new") view={Lazy::<NewSandboxRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/sandboxes/:name") view={Lazy::<SandboxRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/sandboxes/:name/delete") view={Lazy::<DeleteSandboxRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/promote") view={Lazy::<PromoteRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/prod") view={Lazy::<ProdRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/releases") view={Lazy::<ReleasesRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/locks") view={Lazy::<LocksRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/bookings") view={Lazy::<BookingsRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/audit") view={Lazy::<AuditRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/tokens") view={Lazy::<TokensRoute>::new()} ssr=ssr.clone()/>
                    <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} ssr/>
                </Routes>
            </main>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes (the pages in chunks of their own) need the async hydration.
    leptos::mount::hydrate_lazy(App);
}
