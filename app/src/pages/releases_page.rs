use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::get_release_figures,
    components::{Loaded, ReleaseChart},
    format::duration,
    links::encode_query,
    live::use_live_feed,
    model::{ReleaseFigures, Spread, RANGES},
};

/// How often prod releases go out, and how well: deploys per day, lead
/// time for changes, change failure rate and time to restore.
#[component]
pub fn ReleasesPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(RANGES[0])
    };
    let service = move || query.read().get("service").filter(|s| !s.is_empty());
    let feed = use_live_feed();
    let figures = Resource::new(
        move || (days(), service(), feed.releases.get()),
        |(days, service, _)| get_release_figures(days, service),
    );
    view! {
        <Title text="Releases"/>
        <h1>"Releases"</h1>
        <Loaded data=figures render=|figures| view! { <Figures figures/> }/>
    }
}

fn range_href(days: u32, service: Option<&str>) -> String {
    match service {
        Some(s) => format!("/releases?days={days}&service={}", encode_query(s)),
        None => format!("/releases?days={days}"),
    }
}

#[component]
fn Figures(figures: ReleaseFigures) -> impl IntoView {
    let service = figures.service.clone();
    let ranges = RANGES
        .into_iter()
        .map(|days| {
            let current = (days == figures.days).then_some("page");
            view! { <a href=range_href(days, service.as_deref()) aria-current=current>{format!("{days} days")}</a> }
        })
        .collect_view();
    let choices = std::iter::once(String::new())
        .chain(figures.services.iter().cloned())
        .map(|s| {
            let selected = service.as_deref().unwrap_or("") == s;
            let label = if s.is_empty() {
                "all services".to_string()
            } else {
                s.clone()
            };
            view! { <option value=s selected=selected>{label}</option> }
        })
        .collect_view();
    // Small rates keep a decimal: 0.5 % is not 1 %.
    let rate = figures
        .change_failure_rate
        .map(|r| match r * 100.0 {
            p if p < 10.0 => format!("{p:.1} %"),
            p => format!("{p:.0} %"),
        })
        .unwrap_or_else(|| "–".into());
    let loading = figures.loading.then(|| {
        view! {
            <p class="notice history-loading" role="status">
                "Reading the release history the prod cluster remembers; the figures fill in when it is read."
            </p>
        }
    });
    view! {
        {loading}
        <nav class="ranges">{ranges}</nav>
        <Form method="GET" action="/releases" attr:class="filters">
            <input type="hidden" name="days" value=figures.days.to_string()/>
            <label>"Service " <select name="service">{choices}</select></label>
            <button type="submit">"Show"</button>
        </Form>
        <div class="tiles">
            <div class="tile" data-figure="deploys-per-day">
                <span class="figure">{format!("{:.1} / day", figures.per_day_average)}</span>
                <span class="muted">{format!("{} prod deploys in {} days", figures.deploys, figures.days)}</span>
            </div>
            <SpreadTile name="lead-time" title="Lead time for changes" spread=figures.lead_time note="commit to deployed"/>
            <div class="tile" data-figure="change-failure-rate">
                <span class="figure">{rate}</span>
                <span class="muted">{format!("change failure rate · {} failed", figures.failures)}</span>
            </div>
            <SpreadTile name="time-to-restore" title="Time to restore" spread=figures.time_to_restore note="failed deploy to the next good one"/>
        </div>
        <ReleaseChart figures/>
    }
}

#[component]
fn SpreadTile(
    name: &'static str,
    title: &'static str,
    spread: Option<Spread>,
    note: &'static str,
) -> impl IntoView {
    let (figure, detail) = match spread {
        Some(s) => (
            format!("{} median", duration(s.median_secs)),
            format!(
                "{title} · p90 {} · {note} · {} measured",
                duration(s.p90_secs),
                s.count
            ),
        ),
        None => ("–".to_string(), format!("{title} · nothing measured yet")),
    };
    view! {
        <div class="tile" data-figure=name>
            <span class="figure">{figure}</span>
            <span class="muted">{detail}</span>
        </div>
    }
}
