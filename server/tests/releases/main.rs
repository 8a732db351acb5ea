//! Builds in, image tags out, against the demo cluster through a
//! kubeconfig as against a real one: GitHub webhooks checked with real
//! HMAC signatures, the CI build API, Dev and Stg following their
//! branches, prod's newest-wins pipeline, and deploy markers.

#[path = "../common/mod.rs"]
mod common;

mod follow;
mod holds;
mod markers;
mod prod;
mod setup;
mod webhooks;
