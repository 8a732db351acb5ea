use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

use crate::{
    api::{format_pairs, get_promotion_plan, Promote},
    components::{DiffView, ErrorBox, HoldBanner, Loaded},
    model::{EnvironmentHolds, PromotionPlan},
};

/// Query key of a service's requested branch: `svc.app-a=feature-x`.
const PREFIX: &str = "svc.";

/// Point an environment's services at branches: one service (the grid's
/// shortcuts) or several at once (a project promotion), as one commit.
#[component]
pub fn PromotePage() -> impl IntoView {
    let query = use_query_map();
    let plan = Resource::new(
        move || {
            let query = query.read();
            let environment = query.get("env").unwrap_or_else(|| "dev".into());
            let requested: Vec<(String, String)> = query
                .latest_values()
                .filter_map(|(key, value)| {
                    let service = key.strip_prefix(PREFIX)?;
                    Some((service.to_string(), value.to_string()))
                })
                .collect();
            let refresh = query.get("refresh").is_some();
            (environment, format_pairs(&requested), refresh)
        },
        |(environment, requested, refresh)| get_promotion_plan(environment, requested, refresh),
    );
    view! {
        <Title text="Promote"/>
        <h1>"Point an environment at branches"</h1>
        <Loaded data=plan render=|plan| view! { <PlanForm plan/> }/>
    }
}

#[component]
fn PlanForm(plan: PromotionPlan) -> impl IntoView {
    let environment = plan.environment.clone();
    let options = plan
        .environments
        .iter()
        .map(|(name, title)| {
            let selected = *name == plan.environment;
            view! { <option value=name.clone() selected=selected>{title.clone()}</option> }
        })
        .collect_view();
    let rows = plan
        .rows
        .iter()
        .map(|row| {
            let list_id = format!("branches-{}", row.service);
            let value = row.requested.clone().or_else(|| row.current.clone()).unwrap_or_default();
            let changed = row.requested.is_some() && row.requested != row.current;
            let options = row
                .branches
                .iter()
                .map(|b| view! { <option value=b.clone()></option> })
                .collect_view();
            view! {
                <tr data-service=row.service.clone() class:changed=changed>
                    <th scope="row">{row.service.clone()}</th>
                    <td class="current">{row.current.clone().unwrap_or_else(|| "not deployed".into())}</td>
                    <td>
                        <input
                            type="text"
                            name=format!("{PREFIX}{}", row.service)
                            value=value
                            list=list_id.clone()
                            aria-label=format!("Branch of {}", row.service)
                        />
                        <datalist id=list_id>{options}</datalist>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let changes = plan.changes.clone();
    let problems = plan.problems.clone();
    let holds = plan.holds.clone();
    let may_break_glass = plan.may_break_glass;
    let claimed = plan.claimed.clone();
    view! {
        <HoldBanner holds=plan.holds.clone() now=plan.now/>
        <Form method="GET" action="/promote" attr:class="promotion">
            <label>
                "Environment "
                <select name="env">{options}</select>
            </label>
            <table class="promotion-rows">
                <thead>
                    <tr>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Now"</th>
                        <th scope="col">"Branch"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <button type="submit">"Preview"</button>
            " "
            <button type="submit" name="refresh" value="1" class="link">
                "Preview with fresh branch lists"
            </button>
        </Form>
        {problems
            .into_iter()
            .map(|p| view! { <ErrorBox error=crate::error::BerthError::Invalid(p)/> })
            .collect_view()}
        {plan.preview.map(|preview| {
            let unchanged = preview.unchanged.is_some();
            view! {
                <DiffView preview/>
                {(!unchanged).then(|| view! {
                    <ConfirmPromotion
                        environment=environment.clone()
                        changes=changes.clone()
                        holds=holds.clone()
                        may_break_glass
                        claimed=claimed.clone()
                    />
                })}
            }
        })}
    }
}

/// The commit button. While a lock or freeze holds a changed service, it
/// says so; an admin gets a reason field to break the glass, anyone else
/// may still try and reads the refusal.
#[component]
fn ConfirmPromotion(
    environment: String,
    changes: Vec<(String, String)>,
    holds: EnvironmentHolds,
    may_break_glass: bool,
    claimed: Option<String>,
) -> impl IntoView {
    let promote = ServerAction::<Promote>::new();
    let held = holds.whole()
        || changes
            .iter()
            .any(|(s, _)| holds.locks_of(s).next().is_some());
    let glass = (held && may_break_glass).then(|| {
        view! {
            <label class="break-glass">
                "Break the glass — why this cannot wait: "
                <input type="text" name="break_glass" required maxlength="300" placeholder="e.g. hotfix for incident 4711"/>
            </label>
        }
    });
    let label = if held && may_break_glass {
        "Break the glass and commit"
    } else {
        "Commit and push"
    };
    view! {
        <ActionForm action=promote attr:class="confirm">
            <input type="hidden" name="environment" value=environment/>
            <input type="hidden" name="changes" value=format_pairs(&changes)/>
            {held.then(|| view! { <p class="hold-warning">"This environment is held: the commit will be refused unless the glass is broken."</p> })}
            {glass}
            {claimed.map(|words| view! {
                <p class="hold-warning claimed">{words}</p>
                <label class="override-claim">
                    <input type="checkbox" name="override_claims" value="1" required/>
                    " Change it anyway, over their claim (recorded in the audit log)"
                </label>
            })}
            <button type="submit" class="primary">{label}</button>
        </ActionForm>
        {move || promote.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error/> })}
    }
}
