//! Label and field selectors, as the API server reads them from a list or
//! watch request.

use serde_json::Value;

use super::{
    http::{bad_request, Params},
    store::Refusal,
};

/// `labelSelector` (`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated)
/// and `fieldSelector` (`metadata.name`, `metadata.namespace`).
#[derive(Debug, Default, Clone)]
pub struct Filter {
    labels: Vec<(String, Op)>,
    fields: Vec<(String, String, bool)>,
}

#[derive(Debug, Clone)]
enum Op {
    Equals(String),
    NotEquals(String),
    Exists,
    Missing,
}

impl Filter {
    pub fn parse(params: &Params) -> Result<Filter, Refusal> {
        let mut filter = Filter::default();
        for term in params
            .label_selector
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|t| !t.is_empty())
        {
            let term = term.trim();
            let parsed = if let Some((k, v)) = term.split_once("!=") {
                (k, Op::NotEquals(v.into()))
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (k, Op::Equals(v.into()))
            } else if let Some(k) = term.strip_prefix('!') {
                (k, Op::Missing)
            } else if term
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                (term, Op::Exists)
            } else {
                return Err(bad_request(format!("unable to parse requirement: {term}")));
            };
            filter.labels.push((parsed.0.trim().to_string(), parsed.1));
        }
        for term in params
            .field_selector
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|t| !t.is_empty())
        {
            let (field, value, equal) = match term.split_once("!=") {
                Some((f, v)) => (f, v, false),
                None => match term.split_once("==").or_else(|| term.split_once('=')) {
                    Some((f, v)) => (f, v, true),
                    None => return Err(bad_request(format!("invalid field selector: {term}"))),
                },
            };
            if !matches!(field, "metadata.name" | "metadata.namespace") {
                return Err(bad_request(format!("field label not supported: {field}")));
            }
            filter
                .fields
                .push((field.to_string(), value.to_string(), equal));
        }
        Ok(filter)
    }

    pub fn matches(&self, object: &Value) -> bool {
        let labels = &object["metadata"]["labels"];
        let label_ok = self.labels.iter().all(|(key, op)| {
            let value = labels.get(key).and_then(Value::as_str);
            match op {
                Op::Equals(v) => value == Some(v.as_str()),
                Op::NotEquals(v) => value != Some(v.as_str()),
                Op::Exists => value.is_some(),
                Op::Missing => value.is_none(),
            }
        });
        let field_ok = self.fields.iter().all(|(field, value, equal)| {
            let actual = object["metadata"][field.trim_start_matches("metadata.")]
                .as_str()
                .unwrap_or("");
            (actual == value) == *equal
        });
        label_ok && field_ok
    }
}
