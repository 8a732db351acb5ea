//! Prod deploys per day as stacked SVG bars, one colour per service, with
//! the 7-day rolling average as a line. Rendered on the server, so it
//! reads without JavaScript (each day's numbers are its tooltip); once
//! hydrated, pointing at a day spells them out under the chart.

use leptos::prelude::*;

use crate::{format::utc, model::ReleaseFigures};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 22.0;
/// Room above the top grid line for its label.
const TOP: f64 = 8.0;
/// Okabe-Ito's colour-blind-safe eight, then Tol's muted ones; repeated
/// past sixteen services.
const PALETTE: [&str; 16] = [
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677", "#882255",
];

pub fn colour(index: usize) -> &'static str {
    PALETTE[index % PALETTE.len()]
}

/// A round top for the y axis: 1, 2, 5 or 10 times a power of ten.
fn nice_top(value: f64) -> f64 {
    if value <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|top| *top >= value)
        .unwrap_or(10.0 * magnitude)
}

/// `2026-11-30`.
fn date(day: i64) -> String {
    utc(day).chars().take(10).collect()
}

/// The words for one day: its date, total, and each service's count.
fn describe(figures: &ReleaseFigures, i: usize) -> String {
    let day = &figures.per_day[i];
    let parts: Vec<String> = figures
        .services
        .iter()
        .zip(&day.counts)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let mut text = format!(
        "{}: {} deploy{}",
        date(day.day),
        day.total,
        if day.total == 1 { "" } else { "s" }
    );
    if !parts.is_empty() {
        text.push_str(&format!(" ({})", parts.join(", ")));
    }
    text.push_str(&format!(" · 7-day average {:.1}", day.rolling_average));
    text
}

#[component]
pub fn ReleaseChart(figures: ReleaseFigures) -> impl IntoView {
    let days = figures.per_day.len().max(1);
    let top = nice_top(
        figures
            .per_day
            .iter()
            .map(|d| f64::from(d.total).max(d.rolling_average))
            .fold(0.0, f64::max),
    );
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let step = plot_w / days as f64;
    let bar = (step * 0.8).max(1.0);
    let y = move |value: f64| TOP + plot_h - value / top * plot_h;
    let pointed = RwSignal::new(None::<usize>);
    let count = figures.per_day.len();
    let words: Vec<String> = (0..figures.per_day.len())
        .map(|i| describe(&figures, i))
        .collect();
    let detail = {
        let words = words.clone();
        move || {
            pointed
                .get()
                .and_then(|i| words.get(i).cloned())
                .unwrap_or_else(|| {
                    "Point at a day (or focus the chart and use the arrow keys) for its numbers."
                        .into()
                })
        }
    };
    let label_every = match days {
        0..=31 => 7,
        32..=92 => 14,
        _ => 61,
    };
    let bars = figures
        .per_day
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let x = LEFT + i as f64 * step + (step - bar) / 2.0;
            let mut base = 0.0;
            let segments = day
                .counts
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(s, n)| {
                    let from = base;
                    base += f64::from(*n);
                    let (top_y, bottom_y) = (y(base), y(from));
                    view! {
                        <rect x=format!("{x:.1}") y=format!("{top_y:.1}") width=format!("{bar:.1}")
                            height=format!("{:.1}", bottom_y - top_y) fill=colour(s)/>
                    }
                })
                .collect_view();
            let label = (i % label_every == 0).then(|| {
                view! {
                    <text x=format!("{:.1}", x + bar / 2.0) y=format!("{:.1}", HEIGHT - 6.0)
                        class="axis" text-anchor="middle">{date(day.day)[5..].to_string()}</text>
                }
            });
            view! {
                <g class="day" data-day=date(day.day) data-total=day.total
                    class:pointed=move || pointed.get() == Some(i)
                    on:mouseenter=move |_| pointed.set(Some(i))>
                    <title>{words[i].clone()}</title>
                    // The whole column answers to the pointer, not only its bars.
                    <rect class="hit" x=format!("{:.1}", LEFT + i as f64 * step) y=format!("{TOP}")
                        width=format!("{step:.1}") height=format!("{plot_h:.1}")/>
                    {segments}
                </g>
                {label}
            }
        })
        .collect_view();
    let line: Vec<String> = figures
        .per_day
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "{:.1},{:.1}",
                LEFT + (i as f64 + 0.5) * step,
                y(d.rolling_average)
            )
        })
        .collect();
    let ticks = [0.0, top / 2.0, top]
        .into_iter()
        .map(|v| {
            view! {
                <line class="grid" x1=format!("{LEFT}") x2=format!("{WIDTH}") y1=format!("{:.1}", y(v)) y2=format!("{:.1}", y(v))/>
                <text class="axis" x=format!("{:.1}", LEFT - 4.0) y=format!("{:.1}", y(v) + 4.0) text-anchor="end">{format!("{v}")}</text>
            }
        })
        .collect_view();
    let legend = figures
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| figures.service.as_ref().is_none_or(|only| only == *s))
        .map(|(i, s)| {
            view! { <li><span class="swatch" style=format!("background:{}", colour(i))></span>{s.clone()}</li> }
        })
        .collect_view();
    let summary = format!(
        "Prod deploys per day over {} days, {} in all; the line is the 7-day rolling average.",
        figures.days, figures.deploys
    );
    view! {
        <figure class="release-chart">
            // Keyboard too: focus the chart, then the arrow keys step
            // through the days (Home and End jump to the first and last).
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone()
                tabindex="0"
                on:mouseleave=move |_| pointed.set(None)
                on:keydown=move |ev| {
                    let last = count.saturating_sub(1);
                    let now = pointed.get_untracked();
                    let next = match ev.key().as_str() {
                        "ArrowRight" => now.map_or(last, |i| (i + 1).min(last)),
                        "ArrowLeft" => now.map_or(last, |i| i.saturating_sub(1)),
                        "Home" => 0,
                        "End" => last,
                        _ => return,
                    };
                    ev.prevent_default();
                    if count > 0 {
                        pointed.set(Some(next));
                    }
                }>
                {ticks}
                {bars}
                <polyline class="rolling" points=line.join(" ")/>
            </svg>
            <figcaption>
                <ul class="legend">
                    {legend}
                    <li><span class="swatch rolling"></span>"7-day average"</li>
                </ul>
                <p class="chart-detail" aria-live="polite">{detail}</p>
            </figcaption>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_tops_at_a_round_number() {
        assert_eq!(nice_top(0.0), 1.0);
        assert_eq!(nice_top(6.0), 10.0);
        assert_eq!(nice_top(11.0), 20.0);
        assert_eq!(nice_top(42.0), 50.0);
        assert_eq!(nice_top(100.0), 100.0);
    }
}
