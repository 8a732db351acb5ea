use leptos::prelude::*;

use crate::{
    format::{ago, until, utc},
    links::project_promote_href,
    model::{Booking, Claim, EnvironmentHolds, Freeze, Lock, Pause},
};

/// What holds an environment, on its lane and its pages: locks, freezes
/// in force, the next freeze and glass broken today. Nothing when free.
#[component]
pub fn HoldBanner(holds: EnvironmentHolds, now: i64) -> impl IntoView {
    let locks = holds
        .locks
        .into_iter()
        .map(|lock| view! { <LockLine lock now/> })
        .collect_view();
    let frozen = holds
        .frozen
        .into_iter()
        .map(|freeze| view! { <FreezeLine freeze now/> })
        .collect_view();
    let next = holds.next_freeze.and_then(|freeze| {
        let (start, _) = freeze.next?;
        Some(view! {
            <p class="hold next-freeze">
                {format!("Freeze {} ({} UTC): ", until(now, start), utc(start))}
                <q>{freeze.reason}</q>
            </p>
        })
    });
    let glass = holds
        .glass_breaks
        .into_iter()
        .map(|g| {
            view! {
                <p class="hold glass" title=g.held_by>
                    {format!("Glass broken by {} {}: {} — ", g.by, ago(now, g.at), g.what)}
                    <q>{g.reason}</q>
                </p>
            }
        })
        .collect_view();
    let claims = holds
        .claims
        .into_iter()
        .map(|claim| view! { <ClaimLine claim now/> })
        .collect_view();
    let paused = holds
        .paused
        .into_iter()
        .map(|pause| view! { <PauseLine pause now/> })
        .collect_view();
    let booked = holds
        .booked
        .map(|booking| view! { <BookingLine booking now=true/> });
    let next_booking = holds
        .next_booking
        .map(|booking| view! { <BookingLine booking now=false/> });
    view! { <div class="holds">{locks}{frozen}{next}{claims}{paused}{booked}{next_booking}{glass}</div> }
}

/// Today's booking (with its promotion and its reset), or the next one.
#[component]
fn BookingLine(booking: Booking, now: bool) -> impl IntoView {
    let what = if now {
        format!(
            "Booked for {} by {} until {}",
            booking.project, booking.by, booking.last_day
        )
    } else {
        format!(
            "Next: {} ({}) from {} to {}",
            booking.project, booking.by, booking.first_day, booking.last_day
        )
    };
    let class = if now {
        "hold booking"
    } else {
        "hold booking next"
    };
    view! {
        <p class=class data-booking=booking.id>
            <a href="/bookings">{what}</a>
            {now.then(|| view! {
                " · "
                <a href=project_promote_href(&booking.environment, &booking.pairs)>"promote the project"</a>
                " · "
                <a href=project_promote_href(&booking.environment, &booking.defaults)>"reset to default branches"</a>
            })}
        </p>
    }
}

#[component]
pub fn ClaimLine(claim: Claim, now: i64) -> impl IntoView {
    view! {
        <p class="hold claim" data-claim=claim.id>
            <strong>{format!("Claimed by {}", claim.by)}</strong>
            {format!(
                " ({}) until {} UTC ({}): ",
                claim.scope(),
                utc(claim.until),
                until(now, claim.until),
            )}
            <q>{claim.purpose}</q>
        </p>
    }
}

#[component]
fn LockLine(lock: Lock, now: i64) -> impl IntoView {
    let what = match &lock.service {
        Some(service) => format!("{service} locked"),
        None => "Locked".to_string(),
    };
    let end = match lock.until {
        Some(end) => format!(" until {} UTC ({})", utc(end), until(now, end)),
        None => " until lifted".to_string(),
    };
    view! {
        <p class="hold lock" data-lock=lock.id>
            <strong>{what}</strong>
            {format!(" by {} {}{end}: ", lock.by, ago(now, lock.since))}
            <q>{lock.reason}</q>
        </p>
    }
}

#[component]
fn FreezeLine(freeze: Freeze, now: i64) -> impl IntoView {
    let end = freeze
        .active
        .map(|(_, end)| format!(" until {} UTC ({})", utc(end), until(now, end)))
        .unwrap_or_default();
    view! {
        <p class="hold freeze" data-freeze=freeze.id>
            <strong>"Frozen"</strong>
            {format!("{end}, {} by {}: ", freeze.window, freeze.by)}
            <q>{freeze.reason}</q>
        </p>
    }
}

#[component]
pub fn PauseLine(pause: Pause, now: i64) -> impl IntoView {
    view! {
        <p class="hold paused">
            <strong>{format!("Automation of {} paused", pause.service)}</strong>
            {format!(" by {} {} ({} UTC): newer green builds wait until it is resumed — ", pause.by, ago(now, pause.since), utc(pause.since))}
            <q>{pause.reason}</q>
        </p>
    }
}
