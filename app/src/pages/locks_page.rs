use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        get_sharing, AddFreeze, ChangeClaim, ClaimEnvironment, LiftFreeze, LiftLock,
        LockEnvironment,
    },
    components::{ErrorBox, HoldBanner, Loaded, WithViewer},
    format::{until, utc},
    live::use_live_feed,
    model::{Freeze, Role, SharingBoard, Viewer},
};

/// Locks and freeze windows: what holds each environment now, and (for
/// qa and admin) the forms to lock, freeze and lift. Every form is a plain
/// POST, so all of it works without JavaScript.
#[component]
pub fn LocksPage() -> impl IntoView {
    let lock = ServerAction::<LockEnvironment>::new();
    let lift = ServerAction::<LiftLock>::new();
    let freeze = ServerAction::<AddFreeze>::new();
    let unfreeze = ServerAction::<LiftFreeze>::new();
    let claim = ServerAction::<ClaimEnvironment>::new();
    let change = ServerAction::<ChangeClaim>::new();
    let version = use_live_feed().version;
    let query = use_query_map();
    let board = Resource::new(
        move || {
            (
                version.get(),
                query.read().get("locked"),
                query.read().get("lifted"),
                query.read().get("frozen"),
                query.read().get("unfrozen"),
                query.read().get("claimed"),
                query.read().get("extended"),
                query.read().get("ended"),
            )
        },
        |_| get_sharing(),
    );
    let errors = move || {
        [
            lock.value().get(),
            lift.value().get(),
            freeze.value().get(),
            unfreeze.value().get(),
            claim.value().get(),
            change.value().get(),
        ]
        .into_iter()
        .flatten()
        .filter_map(Result::err)
        .map(|error| view! { <ErrorBox error/> })
        .collect_view()
    };
    view! {
        <Title text="Locks, freezes and claims"/>
        <h1>"Locks, freezes and claims"</h1>
        <p class="muted">
            "While an environment is locked or frozen, Berth refuses every change to it — "
            "promotions from the pages and the API, image updates from builds, prod deploys — "
            "with the reason below. An admin may break the glass with a reason of their own. "
            "A claim on Dev refuses nobody: others changing what it covers are asked to confirm, and that is recorded."
        </p>
        {errors}
        <Loaded
            data=board
            render=move |board| view! { <Board board lock lift freeze unfreeze claim change/> }
        />
    }
}

#[component]
fn Board(
    board: SharingBoard,
    lock: ServerAction<LockEnvironment>,
    lift: ServerAction<LiftLock>,
    freeze: ServerAction<AddFreeze>,
    unfreeze: ServerAction<LiftFreeze>,
    claim: ServerAction<ClaimEnvironment>,
    change: ServerAction<ChangeClaim>,
) -> impl IntoView {
    let now = board.now;
    view! {
        <WithViewer render=move |viewer: Viewer| {
            let may = matches!(viewer.role, Some(Role::Qa | Role::Admin));
            let user = viewer.user.clone().unwrap_or_default();
            let board = board.clone();
            let environments = board
                .environments
                .clone()
                .into_iter()
                .map(|holds| {
                    let lifts = may.then(|| {
                        holds
                            .locks
                            .clone()
                            .into_iter()
                            .map(|l| {
                                let label = match &l.service {
                                    Some(s) => format!("Lift the lock on {s}"),
                                    None => "Lift the lock".to_string(),
                                };
                                view! {
                                    <ActionForm action=lift attr:class="inline">
                                        <input type="hidden" name="id" value=l.id.to_string()/>
                                        <button type="submit">{label}</button>
                                    </ActionForm>
                                }
                            })
                            .collect_view()
                    });
                    let claim_buttons = holds
                        .claims
                        .clone()
                        .into_iter()
                        .filter(|c| may || (!user.is_empty() && c.by == user))
                        .map(|c| view! { <ClaimButtons id=c.id by=c.by change/> })
                        .collect_view();
                    let state = if holds.held() { "held" } else { "free" };
                    let name = holds.environment.clone();
                    let key = holds.environment.clone();
                    let free = !holds.held();
                    view! {
                        <section class=format!("env-holds {state}") data-env=key>
                            <h2>{name}</h2>
                            {free.then(|| view! { <p class="muted">"Not locked or frozen."</p> })}
                            <HoldBanner holds=holds now/>
                            {lifts}
                            {claim_buttons}
                        </section>
                    }
                })
                .collect_view()
                .into_any();
            let names: Vec<String> = board.environments.iter().map(|h| h.environment.clone()).collect();
            view! {
                {environments}
                <h2>"Freeze windows"</h2>
                <FreezeTable freezes=board.freezes.clone() now may unfreeze/>
                {viewer.user.is_none().then(|| view! { <p class="muted">"Sign in to claim Dev; qa and admins also lock and freeze."</p> })}
                {viewer.user.is_some().then(|| view! { <ClaimForm names=board.claimable.clone() claim/> })}
                {may.then(|| view! {
                    <LockForm names=names.clone() lock/>
                    <FreezeForm names=names.clone() time_zone=board.time_zone.clone() freeze/>
                })}
            }
        }/>
    }
}

#[component]
fn FreezeTable(
    freezes: Vec<Freeze>,
    now: i64,
    may: bool,
    unfreeze: ServerAction<LiftFreeze>,
) -> impl IntoView {
    if freezes.is_empty() {
        return view! { <p class="muted">"No freeze windows."</p> }.into_any();
    }
    let rows = freezes
        .into_iter()
        .map(|f| {
            let when = match (f.active, f.next) {
                (Some((_, end)), _) => {
                    format!("in force, until {} UTC ({})", utc(end), until(now, end))
                }
                (None, Some((start, _))) => {
                    format!("next {} UTC ({})", utc(start), until(now, start))
                }
                (None, None) => "over".to_string(),
            };
            view! {
                <tr data-freeze=f.id class:active=f.active.is_some()>
                    <td>{f.environment.clone().unwrap_or_else(|| "all environments".into())}</td>
                    <td>{f.window.clone()}</td>
                    <td>{when}</td>
                    <td><q>{f.reason.clone()}</q>" — " {f.by.clone()}</td>
                    <td>
                        {may.then(|| view! {
                            <ActionForm action=unfreeze attr:class="inline">
                                <input type="hidden" name="id" value=f.id.to_string()/>
                                <button type="submit" class="link">"Lift"</button>
                            </ActionForm>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="freezes">
            <thead>
                <tr>
                    <th scope="col">"Environment"</th>
                    <th scope="col">"Window"</th>
                    <th scope="col">"When"</th>
                    <th scope="col">"Why"</th>
                    <th scope="col"></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

#[component]
fn LockForm(names: Vec<String>, lock: ServerAction<LockEnvironment>) -> impl IntoView {
    let options = names
        .into_iter()
        .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
        .collect_view();
    view! {
        <h2>"Lock an environment"</h2>
        <ActionForm action=lock attr:class="confirm lock-form">
            <label>"Environment " <select name="environment">{options}</select></label>
            <label>
                "Only the service "
                <input type="text" name="service" maxlength="64" placeholder="all services"/>
            </label>
            <label>
                "Reason "
                <input type="text" name="reason" required maxlength="300" placeholder="e.g. release tests for checkout"/>
            </label>
            <label>
                "For "
                <select name="hours">
                    <option value="1">"1 hour"</option>
                    <option value="2" selected>"2 hours"</option>
                    <option value="4">"4 hours"</option>
                    <option value="8">"8 hours"</option>
                    <option value="24">"1 day"</option>
                    <option value="72">"3 days"</option>
                    <option value="0">"until lifted"</option>
                </select>
            </label>
            <button type="submit" class="primary">"Lock"</button>
        </ActionForm>
    }
}

#[component]
fn FreezeForm(
    names: Vec<String>,
    time_zone: String,
    freeze: ServerAction<AddFreeze>,
) -> impl IntoView {
    let options = names
        .into_iter()
        .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
        .collect_view();
    view! {
        <h2>"Add a freeze window"</h2>
        <ActionForm action=freeze attr:class="confirm freeze-form">
            <label>
                "Environment "
                <select name="environment">
                    <option value="">"all environments"</option>
                    {options}
                </select>
            </label>
            <label><input type="checkbox" name="weekly" value="1" checked/>" every week"</label>
            <label>
                "From " <input type="text" name="starts" required maxlength="64" placeholder="Fri 18:00 or 2026-12-24 18:00"/>
            </label>
            <label>
                "to " <input type="text" name="ends" required maxlength="64" placeholder="Mon 09:00 or 2026-12-27 09:00"/>
            </label>
            <label>
                "Time zone " <input type="text" name="time_zone" maxlength="64" placeholder=time_zone/>
            </label>
            <label>
                "Reason " <input type="text" name="reason" required maxlength="300" placeholder="e.g. no releases over the weekend"/>
            </label>
            <button type="submit" class="primary">"Freeze"</button>
        </ActionForm>
    }
}

#[component]
fn ClaimButtons(id: i64, by: String, change: ServerAction<ChangeClaim>) -> impl IntoView {
    let extend = format!("Extend {by}'s claim by 2 h");
    let end = format!("End {by}'s claim");
    view! {
        <ActionForm action=change attr:class="inline">
            <input type="hidden" name="id" value=id.to_string()/>
            <button type="submit">{extend}</button>
        </ActionForm>
        <ActionForm action=change attr:class="inline">
            <input type="hidden" name="id" value=id.to_string()/>
            <input type="hidden" name="end" value="1"/>
            <button type="submit">{end}</button>
        </ActionForm>
    }
}

#[component]
fn ClaimForm(names: Vec<String>, claim: ServerAction<ClaimEnvironment>) -> impl IntoView {
    if names.is_empty() {
        return ().into_any();
    }
    let options = names
        .into_iter()
        .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
        .collect_view();
    view! {
        <h2 id="claim">"Claim Dev"</h2>
        <ActionForm action=claim attr:class="confirm claim-form">
            <label>"Environment " <select name="environment">{options}</select></label>
            <label>
                "Services "
                <input type="text" name="services" maxlength="2000" placeholder="all; or e.g. photo-api, web-app"/>
            </label>
            <label>
                "For "
                <input type="text" name="purpose" required maxlength="300" placeholder="e.g. testing the checkout flow"/>
            </label>
            <label>
                "Until "
                <select name="hours">
                    <option value="1">"in 1 hour"</option>
                    <option value="2" selected>"in 2 hours"</option>
                    <option value="4">"in 4 hours"</option>
                    <option value="8">"in 8 hours"</option>
                </select>
            </label>
            <button type="submit" class="primary">"Claim"</button>
        </ActionForm>
    }
    .into_any()
}
