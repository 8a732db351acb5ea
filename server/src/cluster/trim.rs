//! What Berth keeps of each watched object. A real Pod spec carries its
//! environment, volumes, probes and resources, several kilobytes each;
//! Berth reads only container names and images, so the rest is dropped
//! as objects arrive and memory stays flat with thousands of Pods.

use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{Container, Pod, PodSpec},
    networking::v1::Ingress,
};

use super::Application;

pub trait Trim {
    fn trim(&mut self) {}
}

/// Berth reads every part it deserialises (its struct is already minimal).
impl Trim for Application {}

/// Rules, hosts and the load balancer status are all small and all read.
impl Trim for Ingress {}

fn containers_only(spec: &mut PodSpec) {
    let containers = std::mem::take(&mut spec.containers)
        .into_iter()
        .map(|c| Container {
            name: c.name,
            image: c.image,
            ..Container::default()
        })
        .collect();
    *spec = PodSpec {
        containers,
        ..PodSpec::default()
    };
}

impl Trim for Pod {
    fn trim(&mut self) {
        if let Some(spec) = self.spec.as_mut() {
            containers_only(spec);
        }
        if let Some(status) = self.status.as_mut() {
            status.init_container_statuses = None;
            status.ephemeral_container_statuses = None;
            status.pod_ips = None;
            status.host_ips = None;
        }
    }
}

impl Trim for Deployment {
    fn trim(&mut self) {
        if let Some(pod) = self.spec.as_mut().and_then(|s| s.template.spec.as_mut()) {
            containers_only(pod);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_keeps_what_berth_reads() {
        let mut pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "app-a-5d8f-x2k9q", "labels": { "app.kubernetes.io/instance": "app-a-dev" } },
            "spec": {
                "containers": [{ "name": "app", "image": "registry.example/app-a:main-1a2b3c4",
                    "env": [{ "name": "SECRET_URL", "value": "x".repeat(4_000) }],
                    "args": ["--serve"], "ports": [{ "containerPort": 8080 }] }],
                "volumes": [{ "name": "config", "configMap": { "name": "app-a" } }],
                "nodeName": "node-1"
            },
            "status": { "phase": "Running", "podIPs": [{ "ip": "10.0.0.7" }],
                "containerStatuses": [{ "name": "app", "image": "registry.example/app-a:main-1a2b3c4", "imageID": "", "ready": true, "restartCount": 0 }] }
        }))
        .unwrap();
        let before = serde_json::to_string(&pod).unwrap().len();
        pod.trim();
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.containers[0].name, "app");
        assert_eq!(
            spec.containers[0].image.as_deref(),
            Some("registry.example/app-a:main-1a2b3c4")
        );
        assert!(spec.containers[0].env.is_none() && spec.volumes.is_none());
        let status = pod.status.as_ref().unwrap();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        assert_eq!(status.container_statuses.as_ref().unwrap().len(), 1);
        assert_eq!(pod.metadata.labels.as_ref().unwrap().len(), 1);
        let after = serde_json::to_string(&pod).unwrap().len();
        assert!(after * 5 < before, "{before} → {after} bytes");
    }
}
