//! The one write Berth makes to an Argo CD Application: the image tag of a
//! release, sent as a JSON patch (RFC 6902) that changes that one value and
//! is guarded by `test` operations, so a concurrent edit makes it fail
//! instead of writing the wrong entry.

use std::{fmt, time::Duration};

use json_patch::{
    jsonptr::PointerBuf, AddOperation, PatchOperation, ReplaceOperation, TestOperation,
};
use kube::api::{Patch, PatchParams};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Application;

/// How often `set_image_tag` re-reads and tries again when the Application
/// changed between its read and its patch.
pub const ATTEMPTS: u32 = 5;

/// Recorded as the field manager of the write in `metadata.managedFields`.
const FIELD_MANAGER: &str = "berth";

/// Where an Application keeps the image tag Berth sets. In `berth.toml`:
///
/// ```toml
/// image_field = { helm = "image.tag" }   # the default
/// image_field = { kustomize = "registry.example.com/photos/app-a" }
/// ```
///
/// `helm` names an entry of `helm.parameters[]`; `kustomize` names an image
/// as the manifests spell it (no tag, no digest), and Berth edits the
/// `kustomize.images[]` entry for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageField {
    #[serde(rename = "helm")]
    HelmParameter(String),
    #[serde(rename = "kustomize")]
    KustomizeImage(String),
}

impl Default for ImageField {
    fn default() -> ImageField {
        ImageField::HelmParameter("image.tag".into())
    }
}

impl fmt::Display for ImageField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageField::HelmParameter(name) => write!(f, "Helm parameter `{name}`"),
            ImageField::KustomizeImage(name) => write!(f, "Kustomize image `{name}`"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImagePatchError {
    #[error("image tag {tag:?} is not valid: {reason}")]
    InvalidTag { tag: String, reason: String },
    #[error("{field} cannot be used as the image field: {reason}")]
    InvalidField {
        field: ImageField,
        reason: &'static str,
    },
    #[error("Argo CD Application {application} not found")]
    NotFound { application: String },
    #[error(
        "Argo CD Application {application} has no {field} and no single place to add it: {reason}"
    )]
    NoImageField {
        application: String,
        field: ImageField,
        reason: String,
    },
    #[error("Argo CD Application {application}: cannot tell which {field} to set: {reason}")]
    Ambiguous {
        application: String,
        field: ImageField,
        reason: String,
    },
    #[error("Argo CD Application {application} kept changing while Berth set its image tag; gave up after {attempts} attempts")]
    KeptChanging { application: String, attempts: u32 },
    #[error("cannot set the image tag of Argo CD Application {application}: {source}")]
    Cluster {
        application: String,
        source: Box<kube::Error>,
    },
}

/// Sets the image tag of Application `name` and returns its new
/// `metadata.resourceVersion` (the current one when the tag is already
/// set: then nothing is sent). A patch whose guards fail because the
/// Application changed meanwhile is rebuilt from a fresh read, at most
/// [`ATTEMPTS`] times in all.
pub async fn set_image_tag(
    api: &kube::Api<Application>,
    name: &str,
    field: &ImageField,
    tag: &str,
) -> Result<String, ImagePatchError> {
    validate_tag(tag)?;
    validate_field(field)?;
    let application = match api.namespace() {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.to_string(),
    };
    let cluster = |source| match source {
        kube::Error::Api(status) if status.code == 404 => ImagePatchError::NotFound {
            application: application.clone(),
        },
        source => ImagePatchError::Cluster {
            application: application.clone(),
            source: Box::new(source),
        },
    };
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    let mut current = api.get(name).await.map_err(cluster)?;
    for attempt in 1..=ATTEMPTS {
        let version = resource_version(&current);
        let Some(patch) = image_tag_patch(&current, field, tag)? else {
            return Ok(version);
        };
        match api.patch(name, &params, &Patch::Json::<()>(patch)).await {
            Ok(patched) => return Ok(resource_version(&patched)),
            // A failed `test` is 422 Invalid on kube-apiserver (its JSON
            // patcher answers every patch it cannot apply that way, with a
            // fixed message); 409 if its own retries on write conflicts
            // ran out. Either may be a lost race: only a changed object
            // says it was one.
            Err(kube::Error::Api(status)) if status.code == 422 || status.code == 409 => {
                let fresh = api.get(name).await.map_err(cluster)?;
                if resource_version(&fresh) == version {
                    return Err(cluster(kube::Error::Api(status)));
                }
                current = fresh;
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
            }
            Err(error) => return Err(cluster(error)),
        }
    }
    Err(ImagePatchError::KeptChanging {
        application,
        attempts: ATTEMPTS,
    })
}

fn resource_version(application: &Application) -> String {
    application
        .metadata
        .resource_version
        .clone()
        .unwrap_or_default()
}

/// The JSON patch that sets `tag` in `application`, or `None` when it is
/// already set. Only the one value changes (or, where it is missing in the
/// one obvious source, is added); `test` operations guard every value the
/// patch relies on.
pub fn image_tag_patch(
    application: &Application,
    field: &ImageField,
    tag: &str,
) -> Result<Option<json_patch::Patch>, ImagePatchError> {
    validate_tag(tag)?;
    validate_field(field)?;
    let meta = &application.metadata;
    let name = meta.name.as_deref().unwrap_or_default();
    let target = Target {
        application: match meta.namespace.as_deref() {
            Some(namespace) => format!("{namespace}/{name}"),
            None => name.to_string(),
        },
        field,
    };
    let sources = sources(&application.spec);
    let source = target.choose(&sources)?;
    let mut ops = Ops::new(meta.resource_version.clone());
    if source.path[1] == "sources" {
        // Sources have no names: the repository says it is still the
        // same one at this index.
        if let Some(repo) = source.value.get("repoURL") {
            ops.test(at(&source.path, &["repoURL"]), repo.clone());
        }
    }
    let changed = match field {
        ImageField::HelmParameter(parameter) => target.helm(&mut ops, source, parameter, tag)?,
        ImageField::KustomizeImage(image) => target.kustomize(&mut ops, source, image, tag)?,
    };
    Ok(changed.then_some(json_patch::Patch(ops.ops)))
}

/// OCI distribution's tag grammar: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub fn validate_tag(tag: &str) -> Result<(), ImagePatchError> {
    const RULE: &str =
        "a tag is 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'";
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let reason = match tag.chars().next() {
        None => Some(format!("it is empty; {RULE}")),
        Some(first) if first == '.' || first == '-' => {
            Some(format!("it starts with {first:?}; {RULE}"))
        }
        Some(_) => match tag.chars().find(|&c| !allowed(c)) {
            Some(c) => Some(format!("it contains {c:?}; {RULE}")),
            None if tag.len() > 128 => Some(format!("it is {} characters long; {RULE}", tag.len())),
            None => None,
        },
    };
    match reason {
        Some(reason) => Err(ImagePatchError::InvalidTag {
            tag: tag.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

fn validate_field(field: &ImageField) -> Result<(), ImagePatchError> {
    let reason = match field {
        ImageField::HelmParameter(name) if name.trim().is_empty() => "the parameter name is empty",
        ImageField::KustomizeImage(image) if image.is_empty() => "the image name is empty",
        ImageField::KustomizeImage(image)
            if image.contains(['=', ' ', '\t', '\n']) || image_name(image) != image =>
        {
            "name the image as the manifests do, without '=', a tag or a digest"
        }
        _ => return Ok(()),
    };
    Err(ImagePatchError::InvalidField {
        field: field.clone(),
        reason,
    })
}

/// One of the Application's sources and where it sits in the object.
struct Source<'a> {
    path: Vec<String>,
    value: &'a Value,
}

/// `spec.sources[]` when it has any (Argo CD then ignores `spec.source`),
/// else `spec.source`.
fn sources(spec: &Value) -> Vec<Source<'_>> {
    match spec.get("sources").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, value)| Source {
                path: vec!["spec".into(), "sources".into(), i.to_string()],
                value,
            })
            .collect(),
        _ => spec
            .get("source")
            .filter(|s| s.is_object())
            .map(|value| Source {
                path: vec!["spec".into(), "source".into()],
                value,
            })
            .into_iter()
            .collect(),
    }
}

/// What is being set, for choosing the source and naming it in errors.
struct Target<'a> {
    application: String,
    field: &'a ImageField,
}

impl Target<'_> {
    fn no_field(&self, reason: impl Into<String>) -> ImagePatchError {
        ImagePatchError::NoImageField {
            application: self.application.clone(),
            field: self.field.clone(),
            reason: reason.into(),
        }
    }

    fn ambiguous(&self, reason: impl Into<String>) -> ImagePatchError {
        ImagePatchError::Ambiguous {
            application: self.application.clone(),
            field: self.field.clone(),
            reason: reason.into(),
        }
    }

    /// The source that holds the field; else the one source of the right
    /// kind (Helm or Kustomize) to add it to.
    fn choose<'s, 'v>(&self, sources: &'s [Source<'v>]) -> Result<&'s Source<'v>, ImagePatchError> {
        let (kind, other) = match self.field {
            ImageField::HelmParameter(_) => ("Helm", "Kustomize"),
            ImageField::KustomizeImage(_) => ("Kustomize", "Helm"),
        };
        let holders: Vec<&Source> = sources.iter().filter(|s| self.held_by(s.value)).collect();
        match (holders.as_slice(), sources) {
            ([one], _) => Ok(one),
            ([], []) => Err(self.no_field("it has neither spec.source nor spec.sources")),
            ([], [only]) if self.uses_other_kind(only.value) => {
                Err(self.no_field(format!("its source uses {other}")))
            }
            ([], [only]) => Ok(only),
            ([], _) => {
                let candidates: Vec<&Source> =
                    sources.iter().filter(|s| self.uses_kind(s.value)).collect();
                match candidates.as_slice() {
                    [one] => Ok(one),
                    [] => {
                        Err(self
                            .no_field(format!("none of its {} sources uses {kind}", sources.len())))
                    }
                    many => Err(self.ambiguous(format!(
                        "sources {} use {kind} and none holds it",
                        indexes(many)
                    ))),
                }
            }
            (many, _) => Err(self.ambiguous(format!("sources {} all hold it", indexes(many)))),
        }
    }

    fn held_by(&self, source: &Value) -> bool {
        match self.field {
            ImageField::HelmParameter(name) => helm_parameters(source)
                .is_some_and(|list| list.iter().any(|p| parameter_named(p, name))),
            ImageField::KustomizeImage(image) => kustomize_images(source)
                .is_some_and(|list| list.iter().any(|e| entry_for(e, image))),
        }
    }

    fn uses_kind(&self, source: &Value) -> bool {
        match self.field {
            ImageField::HelmParameter(_) => uses_helm(source),
            ImageField::KustomizeImage(_) => present(source, "kustomize"),
        }
    }

    fn uses_other_kind(&self, source: &Value) -> bool {
        match self.field {
            ImageField::HelmParameter(_) => present(source, "kustomize"),
            ImageField::KustomizeImage(_) => uses_helm(source),
        }
    }

    /// Adds the operations for a Helm parameter; false when it already
    /// has the tag.
    fn helm(
        &self,
        ops: &mut Ops,
        source: &Source,
        name: &str,
        tag: &str,
    ) -> Result<bool, ImagePatchError> {
        // forceString: a tag of digits only would reach Helm as a number.
        let entry = json!({ "name": name, "value": tag, "forceString": true });
        let Some(parameters) = source
            .value
            .get("helm")
            .and_then(|h| h.get("parameters"))
            .filter(|p| !p.is_null())
        else {
            // RFC 6902 cannot test that something is absent, and `add`
            // would overwrite what someone else added meanwhile: guard
            // with the whole object's version instead.
            ops.test_version();
            if present(source.value, "helm") {
                ops.add(at(&source.path, &["helm", "parameters"]), json!([entry]));
            } else {
                ops.add(
                    at(&source.path, &["helm"]),
                    json!({ "parameters": [entry] }),
                );
            }
            return Ok(true);
        };
        let list = parameters
            .as_array()
            .ok_or_else(|| self.no_field("its helm.parameters is not a list"))?;
        let found: Vec<usize> = (0..list.len())
            .filter(|&i| parameter_named(&list[i], name))
            .collect();
        match found.as_slice() {
            [] => {
                ops.test_version();
                ops.add(at(&source.path, &["helm", "parameters", "-"]), entry);
            }
            &[i] => {
                let old = list[i].get("value");
                if old.and_then(Value::as_str) == Some(tag) {
                    return Ok(false);
                }
                let entry = at(&source.path, &["helm", "parameters", &i.to_string()]);
                ops.test(entry.with_trailing_token("name"), json!(name));
                let value = entry.with_trailing_token("value");
                match old {
                    Some(old) => {
                        ops.test(value.clone(), old.clone());
                        ops.replace(value, json!(tag));
                    }
                    None => {
                        ops.test_version();
                        ops.add(value, json!(tag));
                    }
                }
            }
            many => {
                return Err(self.ambiguous(format!(
                    "its source has {} parameters named `{name}`",
                    many.len()
                )))
            }
        }
        Ok(true)
    }

    /// Adds the operations for a Kustomize image; false when it already
    /// has the tag.
    fn kustomize(
        &self,
        ops: &mut Ops,
        source: &Source,
        image: &str,
        tag: &str,
    ) -> Result<bool, ImagePatchError> {
        let Some(images) = source
            .value
            .get("kustomize")
            .and_then(|k| k.get("images"))
            .filter(|i| !i.is_null())
        else {
            let entry = format!("{image}:{tag}");
            ops.test_version();
            if present(source.value, "kustomize") {
                ops.add(at(&source.path, &["kustomize", "images"]), json!([entry]));
            } else {
                ops.add(
                    at(&source.path, &["kustomize"]),
                    json!({ "images": [entry] }),
                );
            }
            return Ok(true);
        };
        let list = images
            .as_array()
            .ok_or_else(|| self.no_field("its kustomize.images is not a list"))?;
        let found: Vec<usize> = (0..list.len())
            .filter(|&i| entry_for(&list[i], image))
            .collect();
        match found.as_slice() {
            [] => {
                ops.test_version();
                ops.add(
                    at(&source.path, &["kustomize", "images", "-"]),
                    json!(format!("{image}:{tag}")),
                );
            }
            &[i] => {
                let old = list[i].as_str().unwrap_or_default();
                let new = with_tag(old, tag);
                if new == old {
                    return Ok(false);
                }
                let path = at(&source.path, &["kustomize", "images", &i.to_string()]);
                ops.test(path.clone(), json!(old));
                ops.replace(path, json!(new));
            }
            many => {
                return Err(self.ambiguous(format!(
                    "its source has {} entries for `{image}` in kustomize.images",
                    many.len()
                )))
            }
        }
        Ok(true)
    }
}

/// The patch being built: its `test`s first, then the one write.
struct Ops {
    ops: Vec<PatchOperation>,
    version: Option<String>,
    version_tested: bool,
}

impl Ops {
    fn new(version: Option<String>) -> Ops {
        Ops {
            ops: Vec::new(),
            version,
            version_tested: false,
        }
    }

    /// Tests `value` at `path`; when kube-apiserver could not compare that
    /// value reliably, tests the object's version instead.
    fn test(&mut self, path: PointerBuf, value: Value) {
        if compares_reliably(&value) {
            self.ops
                .push(PatchOperation::Test(TestOperation { path, value }));
        } else {
            self.test_version();
        }
    }

    /// Any change to the object since it was read fails the patch.
    fn test_version(&mut self) {
        if let (Some(version), false) = (&self.version, self.version_tested) {
            self.ops.insert(
                0,
                PatchOperation::Test(TestOperation {
                    path: PointerBuf::from_tokens(["metadata", "resourceVersion"]),
                    value: json!(version),
                }),
            );
            self.version_tested = true;
        }
    }

    fn add(&mut self, path: PointerBuf, value: Value) {
        self.ops
            .push(PatchOperation::Add(AddOperation { path, value }));
    }

    fn replace(&mut self, path: PointerBuf, value: Value) {
        self.ops
            .push(PatchOperation::Replace(ReplaceOperation { path, value }));
    }
}

/// kube-apiserver compares a tested string by its JSON bytes as Go writes
/// them, and Go escapes `<`, `>`, `&`, U+2028 and U+2029 where serde_json
/// does not: such a `test` would never hold. Only plain strings are
/// compared; anything else is guarded by the object's version.
fn compares_reliably(value: &Value) -> bool {
    value.as_str().is_some_and(|s| {
        !s.chars()
            .any(|c| c.is_control() || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}'))
    })
}

fn at(base: &[String], rest: &[&str]) -> PointerBuf {
    PointerBuf::from_tokens(base.iter().map(String::as_str).chain(rest.iter().copied()))
}

fn indexes(sources: &[&Source]) -> String {
    let list: Vec<&str> = sources
        .iter()
        .filter_map(|s| s.path.last().map(String::as_str))
        .collect();
    list.join(", ")
}

fn present(source: &Value, key: &str) -> bool {
    source.get(key).is_some_and(|v| !v.is_null())
}

/// A source renders with Helm when it says so or names a chart.
fn uses_helm(source: &Value) -> bool {
    present(source, "helm") || present(source, "chart")
}

fn helm_parameters(source: &Value) -> Option<&Vec<Value>> {
    source.get("helm")?.get("parameters")?.as_array()
}

fn kustomize_images(source: &Value) -> Option<&Vec<Value>> {
    source.get("kustomize")?.get("images")?.as_array()
}

fn parameter_named(parameter: &Value, name: &str) -> bool {
    parameter.get("name").and_then(Value::as_str) == Some(name)
}

/// Whether a `kustomize.images` entry (`[name=]newName[:tag][@digest]`)
/// is the one for `image`: as Argo CD matches them, by the name before
/// `=`, or else by the image without its tag and digest.
fn entry_for(entry: &Value, image: &str) -> bool {
    entry.as_str().is_some_and(|entry| {
        let name = match entry.split_once('=') {
            Some((name, _)) => name,
            None => image_name(entry),
        };
        name == image
    })
}

/// The entry with `tag` as its version, the rest kept. A digest goes too:
/// it would win over the tag, which would then never deploy.
fn with_tag(entry: &str, tag: &str) -> String {
    match entry.split_once('=') {
        Some((name, new_image)) => format!("{name}={}:{tag}", image_name(new_image)),
        None => format!("{}:{tag}", image_name(entry)),
    }
}

/// An image reference without `@digest` and `:tag`; a ':' before the last
/// '/' belongs to a registry port (`registry:5000/app`).
fn image_name(image: &str) -> &str {
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

#[cfg(test)]
mod tests;
