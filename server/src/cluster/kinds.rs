//! The parts of a Pod and a Deployment Berth reads. k8s-openapi's own
//! types hold every field of the API (a Pod spec alone is dozens of
//! optional fields, and real Pods fill them with environment, volumes and
//! probes); with thousands of Pods those made most of Berth's memory.
//! Serde skips what is not declared here, so it is never stored.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pod {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Option<PodSpec>,
    #[serde(default)]
    pub status: Option<PodStatus>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PodSpec {
    #[serde(default)]
    pub containers: Vec<Container>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub conditions: Option<Vec<Condition>>,
    #[serde(default)]
    pub container_statuses: Option<Vec<ContainerStatus>>,
}

/// A Pod's or a Deployment's condition.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub last_transition_time: Option<Time>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub state: Option<ContainerState>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContainerState {
    #[serde(default)]
    pub waiting: Option<Waiting>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Waiting {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Deployment {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub status: Option<DeploymentStatus>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DeploymentStatus {
    #[serde(default)]
    pub conditions: Option<Vec<Condition>>,
}

/// What kube-derive or k8s-openapi would generate for a kind, written
/// out so Berth keeps its own minimal structs.
macro_rules! resource {
    ($type:ty, $kind:literal, $group:literal, $version:literal, $api_version:literal, $plural:literal) => {
        impl kube::Resource for $type {
            type DynamicType = ();
            type Scope = kube::core::NamespaceResourceScope;

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                $group.into()
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                $version.into()
            }
            fn api_version(_: &()) -> std::borrow::Cow<'_, str> {
                $api_version.into()
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(
                &mut self,
            ) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}

pub(crate) use resource;

resource!(Pod, "Pod", "", "v1", "v1", "pods");
resource!(
    Deployment,
    "Deployment",
    "apps",
    "v1",
    "apps/v1",
    "deployments"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_pod_keeps_only_what_berth_reads() {
        let json = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": "app-a-5d8f-x2k9q", "namespace": "dev",
                "labels": { "app.kubernetes.io/instance": "app-a-dev", "pod-template-hash": "5d8f" },
                "ownerReferences": [{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "app-a-5d8f", "uid": "u1" }] },
            "spec": {
                "containers": [{ "name": "app", "image": "registry.example/app-a:main-1a2b3c4",
                    "env": [{ "name": "BIG", "value": "x".repeat(4_000) }],
                    "args": ["--serve"], "ports": [{ "containerPort": 8080 }] }],
                "volumes": [{ "name": "config", "configMap": { "name": "app-a" } }],
                "nodeName": "node-1"
            },
            "status": { "phase": "Running", "podIPs": [{ "ip": "10.0.0.7" }],
                "conditions": [{ "type": "Ready", "status": "True", "lastTransitionTime": "2026-12-01T08:00:04Z" }],
                "containerStatuses": [{ "name": "app", "image": "registry.example/app-a:main-1a2b3c4", "imageID": "",
                    "ready": false, "restartCount": 3,
                    "state": { "waiting": { "reason": "CrashLoopBackOff", "message": "back-off 40s" } } }] }
        });
        let before = json.to_string().len();
        let pod: Pod = serde_json::from_value(json).unwrap();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(
            spec.containers[0].image.as_deref(),
            Some("registry.example/app-a:main-1a2b3c4")
        );
        let status = pod.status.as_ref().unwrap();
        let container = &status.container_statuses.as_ref().unwrap()[0];
        assert_eq!(container.restart_count, 3);
        let waiting = container.state.as_ref().unwrap().waiting.as_ref().unwrap();
        assert_eq!(waiting.reason.as_deref(), Some("CrashLoopBackOff"));
        let ready = &status.conditions.as_ref().unwrap()[0];
        assert_eq!(
            (ready.type_.as_str(), ready.status.as_str()),
            ("Ready", "True")
        );
        assert_eq!(
            pod.metadata.owner_references.as_ref().unwrap()[0].kind,
            "ReplicaSet"
        );
        // What is kept is a small part of what came.
        let after = serde_json::to_string(&pod).unwrap().len();
        assert!(after * 5 < before, "{before} → {after} bytes");
    }
}
