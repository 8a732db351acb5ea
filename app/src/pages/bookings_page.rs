use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{get_sharing, BookEnvironment, CancelBooking},
    components::{ErrorBox, Loaded, WithViewer},
    links::project_promote_href,
    live::use_live_feed,
    model::{Booking, Role, SharingBoard, Viewer},
};

/// The Stg calendar: four weeks per Stg environment with each day's
/// project, the bookings ahead, and the form to book. Plain forms, so all
/// of it works without JavaScript.
#[component]
pub fn BookingsPage() -> impl IntoView {
    let book = ServerAction::<BookEnvironment>::new();
    let cancel = ServerAction::<CancelBooking>::new();
    let version = use_live_feed().version;
    let query = use_query_map();
    let board = Resource::new(
        move || {
            let query = query.read();
            (version.get(), query.get("booked"), query.get("cancelled"))
        },
        |_| get_sharing(),
    );
    let errors = move || {
        [book.value().get(), cancel.value().get()]
            .into_iter()
            .flatten()
            .filter_map(Result::err)
            .map(|error| view! { <ErrorBox error/> })
            .collect_view()
    };
    view! {
        <Title text="Stg bookings"/>
        <h1>"Stg bookings"</h1>
        <p class="muted">
            "A project books a Stg environment for some days; bookings never share a day. "
            "On its first day, its promotion is one commit; on its last, resetting its services to their default branches is another."
        </p>
        {errors}
        <Loaded data=board render=move |board| view! { <Calendar board book cancel/> }/>
    }
}

#[component]
fn Calendar(
    board: SharingBoard,
    book: ServerAction<BookEnvironment>,
    cancel: ServerAction<CancelBooking>,
) -> impl IntoView {
    let header = board
        .days
        .iter()
        .map(|day| {
            // The day of the month; the whole date is its tooltip.
            let label = day
                .get(8..)
                .unwrap_or(day)
                .trim_start_matches('0')
                .to_string();
            view! { <th scope="col" title=day.clone()>{label}</th> }
        })
        .collect_view();
    let rows = board
        .bookable
        .iter()
        .map(|env| {
            let cells = board
                .days
                .iter()
                .map(|day| {
                    let booked = board.bookings.iter().find(|b| {
                        b.environment == *env && b.first_day <= *day && *day <= b.last_day
                    });
                    match booked {
                        Some(b) => view! {
                            <td class="booked" title=format!("{} — {}", b.project, b.by)>{b.project.clone()}</td>
                        }
                        .into_any(),
                        None => view! { <td class="free"></td> }.into_any(),
                    }
                })
                .collect_view();
            view! {
                <tr data-env=env.clone()>
                    <th scope="row">{env.clone()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let bookings = board.bookings.clone();
    let bookable = board.bookable.clone();
    let today = board.today.clone();
    view! {
        <div class="calendar-wrap">
        <table class="calendar">
            <thead>
                <tr>
                    <th></th>
                    {header}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
        <WithViewer render=move |viewer: Viewer| {
            let bookings = bookings.clone();
            view! {
                <BookingList bookings viewer=viewer.clone() cancel/>
                {viewer.user.is_some().then(|| view! {
                    <BookingForm environments=bookable.clone() today=today.clone() book/>
                })}
            }
        }/>
    }
}

#[component]
fn BookingList(
    bookings: Vec<Booking>,
    viewer: Viewer,
    cancel: ServerAction<CancelBooking>,
) -> impl IntoView {
    if bookings.is_empty() {
        return view! { <p class="muted">"No bookings ahead."</p> }.into_any();
    }
    let may_all = matches!(viewer.role, Some(Role::Qa | Role::Admin));
    let user = viewer.user.clone().unwrap_or_default();
    let rows = bookings
        .into_iter()
        .map(|b| {
            let mine = may_all || (!user.is_empty() && b.by == user);
            let pairs = b
                .pairs
                .iter()
                .map(|(s, br)| format!("{s} → {br}"))
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr class="booking" data-booking=b.id data-env=b.environment.clone()>
                    <td>{b.environment.clone()}</td>
                    <td class="project">{b.project.clone()}</td>
                    <td>{format!("{} – {}", b.first_day, b.last_day)}</td>
                    <td>{pairs}</td>
                    <td>{b.by.clone()}</td>
                    <td>
                        <a href=project_promote_href(&b.environment, &b.pairs)>"Promote the project"</a>
                        " · "
                        <a href=project_promote_href(&b.environment, &b.defaults)>"Reset to default branches"</a>
                        {mine.then(|| view! {
                            <ActionForm action=cancel attr:class="inline">
                                <input type="hidden" name="id" value=b.id.to_string()/>
                                <button type="submit" class="link">"Cancel"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <h2>"Bookings ahead"</h2>
        <table class="bookings">
            <thead>
                <tr>
                    <th scope="col">"Environment"</th>
                    <th scope="col">"Project"</th>
                    <th scope="col">"Days"</th>
                    <th scope="col">"Branches"</th>
                    <th scope="col">"By"</th>
                    <th scope="col"></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn BookingForm(
    environments: Vec<String>,
    today: String,
    book: ServerAction<BookEnvironment>,
) -> impl IntoView {
    let options = environments
        .into_iter()
        .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
        .collect_view();
    view! {
        <h2>"Book a Stg environment"</h2>
        <ActionForm action=book attr:class="confirm booking-form">
            <label>"Environment " <select name="environment">{options}</select></label>
            <label>
                "Project " <input type="text" name="project" required maxlength="64" placeholder="e.g. photo-books"/>
            </label>
            <label>
                "Branches "
                <textarea name="pairs" required rows="3" placeholder="photo-api=feature-photo-books\nweb-app=feature-photo-books"></textarea>
            </label>
            <label>"From " <input type="date" name="first_day" required min=today.clone() value=today.clone()/></label>
            <label>"to " <input type="date" name="last_day" required min=today.clone() value=today/></label>
            <button type="submit" class="primary">"Book"</button>
        </ActionForm>
    }
}
