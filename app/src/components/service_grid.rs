use leptos::prelude::*;

use super::{ChangeLine, LiveBadge};
use crate::{
    links::{cell_shortcuts, overview_href},
    model::ServiceRow,
};

/// What the person looking may promote to, for the cells' shortcuts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridShortcuts {
    /// Stg environments (name, title) the person may write.
    pub stg_targets: Vec<(String, String)>,
    /// The Dev environment (name, title), for "copy Dev's branch".
    pub dev: Option<(String, String)>,
}

/// Service × environment: the branch in each cell, who changed it and when.
/// A branch is a link that highlights every cell running it; with
/// JavaScript it is a client-side navigation, without it a plain GET.
#[component]
pub fn ServiceGrid(
    rows: Vec<ServiceRow>,
    environments: Vec<(String, String)>,
    highlight: Option<String>,
    service_filter: String,
    branch_filter: String,
    now: i64,
    #[prop(optional)] shortcuts: GridShortcuts,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No service matches the filter."</p> }.into_any();
    }
    let header = environments
        .into_iter()
        .map(|(name, title)| view! { <th scope="col" data-env=name>{title}</th> })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|row| {
            let row_branches: Vec<(String, Option<String>)> = row
                .cells
                .iter()
                .map(|c| (c.environment.clone(), c.branch.clone()))
                .collect();
            let service_name = row.service.clone();
            let cells = row
                .cells
                .into_iter()
                .map(|cell| {
                    let live = view! {
                        <LiveBadge
                            environment=cell.environment.clone()
                            service=service_name.clone()
                            page=cell.live.clone()
                            now
                        />
                    };
                    let held = cell.held.clone().map(|words| {
                        let title = words.clone();
                        view! { <span class="cell-held" title=title>{words}</span> }
                    });
                    let Some(branch) = cell.branch.clone() else {
                        return view! {
                            <td class="cell not-deployed" class:held=cell.held.is_some() data-env=cell.environment>
                                <span class="muted">"not deployed"</span>
                                {live}
                                {held}
                            </td>
                        }
                        .into_any();
                    };
                    let lit = highlight.as_deref() == Some(branch.as_str());
                    let class = match (lit, cell.is_default) {
                        (true, _) => "cell highlight",
                        (false, true) => "cell default",
                        (false, false) => "cell",
                    };
                    let toggle = if lit { None } else { Some(branch.as_str()) };
                    let href = overview_href(&service_filter, &branch_filter, toggle);
                    let dev = shortcuts.dev.as_ref().map(|(n, t)| (n.as_str(), t.as_str()));
                    let links = cell_shortcuts(
                        &service_name,
                        &cell.environment,
                        &branch,
                        &row_branches,
                        &shortcuts.stg_targets,
                        dev,
                    );
                    let links = (!links.is_empty()).then(|| {
                        let items = links
                            .into_iter()
                            .map(|l| view! { <a class="shortcut" href=l.href>{l.label}</a> })
                            .collect_view();
                        view! { <div class="cell-actions">{items}</div> }
                    });
                    view! {
                        <td class=class class:held=cell.held.is_some() data-env=cell.environment data-branch=branch.clone()>
                            <a class="branch" href=href title="Show where this branch runs">
                                {branch.clone()}
                            </a>
                            {cell
                                .branch_url
                                .map(|url| {
                                    view! {
                                        <a class="source-link" href=url rel="noopener" title="Open the branch in its repository">
                                            "↗"
                                        </a>
                                    }
                                })}
                            <div class="cell-change">
                                <ChangeLine change=cell.last_change now/>
                            </div>
                            {live}
                            {held}
                            {links}
                        </td>
                    }
                    .into_any()
                })
                .collect_view();
            let service = row.service.clone();
            view! {
                <tr data-service=service>
                    <th scope="row">{row.service}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid">
            <thead>
                <tr>
                    <th scope="col">"Service"</th>
                    {header}
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
    .into_any()
}
