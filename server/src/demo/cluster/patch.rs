//! PATCH bodies as the API server takes them for custom resources: JSON
//! merge patch (RFC 7386) and JSON patch (RFC 6902). A failed JSON patch
//! (a `test` that does not hold, a path that is not there) is 422 and
//! changes nothing; a merge patch naming an older resource version is 409.

use serde_json::Value;

use super::store::Refusal;

pub enum Patch {
    Merge(Value),
    Json(json_patch::Patch),
}

pub fn parse(content_type: &str, body: &[u8]) -> Result<Patch, Refusal> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let invalid = |e: serde_json::Error| Refusal {
        code: 400,
        reason: "BadRequest",
        message: format!("the patch is not valid JSON: {e}"),
    };
    match media {
        "application/merge-patch+json" => serde_json::from_slice(body).map(Patch::Merge).map_err(invalid),
        "application/json-patch+json" => serde_json::from_slice(body).map(Patch::Json).map_err(invalid),
        other => Err(Refusal {
            code: 415,
            reason: "UnsupportedMediaType",
            message: format!("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json (not {other:?})"),
        }),
    }
}

impl Patch {
    pub fn apply(&self, mut object: Value) -> Result<Value, Refusal> {
        match self {
            Patch::Merge(patch) => {
                let wanted = patch["metadata"]["resourceVersion"].as_str();
                let current = object["metadata"]["resourceVersion"].as_str();
                if let (Some(wanted), Some(current)) = (wanted, current) {
                    if wanted != current {
                        return Err(Refusal {
                            code: 409,
                            reason: "Conflict",
                            message: "the object has been modified; please apply your changes to the latest version and try again".into(),
                        });
                    }
                }
                json_patch::merge(&mut object, patch);
                Ok(object)
            }
            Patch::Json(patch) => {
                json_patch::patch(&mut object, patch).map_err(|e| Refusal {
                    code: 422,
                    reason: "Invalid",
                    message: format!("the JSON patch could not be applied: {e}"),
                })?;
                Ok(object)
            }
        }
    }
}
