use leptos::prelude::*;

use crate::model::FileProblem;

/// Files Berth could not fully read, with file and line.
#[component]
pub fn ProblemList(problems: Vec<FileProblem>) -> impl IntoView {
    (!problems.is_empty()).then(|| {
        view! {
            <section id="problems" class="problems">
                <h2>{format!("{} problem(s) in the GitOps files", problems.len())}</h2>
                <ul>
                    {problems
                        .into_iter()
                        .map(|p| {
                            let place = match p.line {
                                Some(line) => format!("{}:{line}", p.file),
                                None => p.file.clone(),
                            };
                            view! {
                                <li class="problem">
                                    <code class="place">{place}</code>
                                    " "
                                    <span>{p.message}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}
