use leptos::prelude::*;

use super::ChangeLine;
use crate::model::{overview_href, ServiceRow};

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
            let cells = row
                .cells
                .into_iter()
                .map(|cell| {
                    let Some(branch) = cell.branch.clone() else {
                        return view! {
                            <td class="cell not-deployed" data-env=cell.environment>
                                <span class="muted">"not deployed"</span>
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
                    view! {
                        <td class=class data-env=cell.environment data-branch=branch.clone()>
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
