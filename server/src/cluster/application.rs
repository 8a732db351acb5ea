//! The part of an Argo CD Application (`argoproj.io/v1alpha1`) Berth reads.
//! Every field is optional: Applications are written by Argo CD, by
//! people and by other tools, and one odd object must not stop a watch.
//! The CRD has no status subresource, so `status` comes with the object.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Application {
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// The image patch finds the right source in it; watched copies keep
    /// only `destination` (`watch::Slim`).
    #[serde(default)]
    pub spec: Value,
    #[serde(default)]
    pub status: Option<ApplicationStatus>,
}

impl Application {
    /// The namespace Argo CD deploys this Application into, if it names one.
    pub fn destination_namespace(&self) -> Option<&str> {
        self.spec["destination"]["namespace"]
            .as_str()
            .filter(|namespace| !namespace.is_empty())
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    #[serde(default)]
    pub sync: Option<SyncStatus>,
    #[serde(default)]
    pub health: Option<HealthStatus>,
    #[serde(default)]
    pub summary: Option<Summary>,
    #[serde(default)]
    pub operation_state: Option<OperationState>,
    #[serde(default)]
    pub reconciled_at: Option<String>,
    #[serde(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncStatus {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub revision: Option<String>,
    /// What multi-source Applications (`spec.sources`) report instead of
    /// `revision`: one per source, in their order.
    #[serde(default)]
    pub revisions: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HealthStatus {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default, rename = "externalURLs")]
    pub external_urls: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationState {
    #[serde(default)]
    pub phase: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub started_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Condition {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub revision: Option<String>,
    #[serde(default)]
    pub deploy_started_at: Option<String>,
    #[serde(default)]
    pub deployed_at: Option<String>,
    /// What was deployed (its Helm parameters or Kustomize images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<serde_json::Value>,
    /// The same, for a multi-source Application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<serde_json::Value>,
}

super::kinds::resource!(
    Application,
    "Application",
    "argoproj.io",
    "v1alpha1",
    "argoproj.io/v1alpha1",
    "applications"
);
