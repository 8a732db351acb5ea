use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::get_pipeline,
    components::{FreshnessBar, LiveBadge, Loaded},
    format::{ago, duration, short_sha, until},
    live::use_live_feed,
    model::{MarkerProblem, PipelineCommit, ProdPipeline, ServicePipeline, Stage},
};

/// Prod per service: the recent default-branch commits on their way
/// (pushed, building, passed, deploying, deployed, or why not) and what
/// runs now. Follows builds and deploys as they happen.
#[component]
pub fn ProdPage() -> impl IntoView {
    let feed = use_live_feed();
    let pipeline = Resource::new(
        move || (feed.version.get(), feed.releases.get()),
        |_| get_pipeline(),
    );
    view! {
        <Title text="Prod pipeline"/>
        <h1>"Prod pipeline"</h1>
        <Loaded data=pipeline render=|pipeline| view! { <Pipeline pipeline/> }/>
    }
}

#[component]
fn Pipeline(pipeline: ProdPipeline) -> impl IntoView {
    let now = pipeline.freshness.now;
    let environment = pipeline.environment.clone();
    let rule = if pipeline.auto_deploy {
        "A green build of a default branch deploys when its commit is newer than every commit already deployed or deploying; an older one never replaces a newer."
    } else {
        "Green builds are not deployed by themselves here (auto_deploy_prod is off)."
    };
    let markers = (!pipeline.marker_problems.is_empty()).then(|| {
        let problems = pipeline.marker_problems.clone();
        view! { <MarkerProblems problems now/> }
    });
    view! {
        <FreshnessBar freshness=pipeline.freshness/>
        {markers}
        <p class="muted">{rule}</p>
        {pipeline
            .services
            .into_iter()
            .map(|service| view! { <ServiceSection service environment=environment.clone() now/> })
            .collect_view()}
    }
}

#[component]
fn ServiceSection(service: ServicePipeline, environment: String, now: i64) -> impl IntoView {
    let repo = service.repo_url.clone();
    let deployed = service.deployed.clone().map(|c| {
        let when = c.deploy_ended_at.map(|at| ago(now, at)).unwrap_or_default();
        view! {
            <p class="live-now">
                "Live now: " <code>{c.image_tag.clone().unwrap_or_default()}</code>
                " from " <CommitLink sha=c.sha.clone() repo=repo.clone()/>
                {format!(" · deployed {when}")}
            </p>
        }
    });
    let name = service.service.clone();
    let section = name.clone();
    view! {
        <section class="pipeline" data-service=section>
            <h2>{name.clone()} <span class="muted">{format!(" · {}", service.default_branch)}</span></h2>
            {deployed}
            <LiveBadge environment service=name page=service.live now/>
            {if service.commits.is_empty() {
                view! { <p class="empty">"No pushes to the default branch seen yet."</p> }.into_any()
            } else {
                view! { <CommitTable commits=service.commits repo=service.repo_url now/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn CommitLink(sha: String, repo: Option<String>) -> impl IntoView {
    let short = short_sha(&sha).to_string();
    match repo {
        Some(repo) => {
            view! { <a href=format!("{repo}/commit/{sha}")><code>{short}</code></a> }.into_any()
        }
        None => view! { <code>{short}</code> }.into_any(),
    }
}

#[component]
fn CommitTable(commits: Vec<PipelineCommit>, repo: Option<String>, now: i64) -> impl IntoView {
    view! {
        <table class="pipeline-commits">
            <thead>
                <tr>
                    <th scope="col">"Commit"</th>
                    <th scope="col">"Message"</th>
                    <th scope="col">"Pushed"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Build"</th>
                    <th scope="col">"Deploy"</th>
                </tr>
            </thead>
            <tbody>
                {commits
                    .into_iter()
                    .map(|c| {
                        let stage = c.stage.as_str();
                        let build = c.built_at.map(|at| duration(at - c.pushed_at)).unwrap_or_default();
                        let deploy = match (c.deploy_started_at, c.deploy_ended_at) {
                            (Some(start), Some(end)) => duration(end - start),
                            (Some(start), None) if c.stage == Stage::Deploying => format!("{} so far", duration(now - start)),
                            _ => String::new(),
                        };
                        view! {
                            <tr class=format!("stage-{stage}") data-sha=c.sha.clone()>
                                <td><CommitLink sha=c.sha.clone() repo=repo.clone()/></td>
                                <td>{c.message} <div class="muted">{c.author}</div></td>
                                <td>{ago(now, c.pushed_at)}</td>
                                <td>
                                    <span class=format!("stage stage-{stage}")>{stage_words(c.stage)}</span>
                                    <div class="muted">{c.note}</div>
                                </td>
                                <td>{build}</td>
                                <td>{deploy}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

fn stage_words(stage: Stage) -> &'static str {
    match stage {
        Stage::Pushed => "pushed",
        Stage::Building => "building",
        Stage::Passed => "passed",
        Stage::Failed => "build failed",
        Stage::Superseded => "superseded",
        Stage::Deploying => "deploying",
        Stage::Deployed => "deployed",
        Stage::DeployFailed => "deploy failed",
    }
}

/// Deploy markers that did not get through: deploys are not held up by
/// them, but the people who rely on them should know.
#[component]
fn MarkerProblems(problems: Vec<MarkerProblem>, now: i64) -> impl IntoView {
    view! {
        <section class="marker-problems notice" role="status">
            <h2>"Deploy markers not sent"</h2>
            <ul>
                {problems
                    .into_iter()
                    .map(|p| {
                        let next = match p.next_at {
                            Some(at) if at > now => format!("tried {} times; next {}", p.attempts, until(now, at)),
                            Some(_) => format!("tried {} times; trying again now", p.attempts),
                            None => format!("gave up after {} tries", p.attempts),
                        };
                        let sink = p.sink.clone();
                        view! {
                            <li data-sink=sink>
                                <strong>{p.sink}</strong>
                                {format!(" · {} {} · {next}: ", p.service, p.image_tag)}
                                <span class="message">{p.error}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}
