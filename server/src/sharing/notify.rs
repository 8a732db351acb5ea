//! Notifications of what changes how environments are shared: a claim, a
//! booking starting, a lock, a freeze starting, broken glass, a rollback.
//! They go to the `[sharing] notify` sinks (Slack, a JSON webhook) through
//! the deploy markers' queue: sent by its task, retried with backoff,
//! never blocking the change, and listed on the prod page when they fail.

use serde_json::json;

use super::Sharing;
use crate::{clock::unix_now, config::MarkerKind, store::NewMarker};

impl Sharing {
    /// Queues `words` for every configured sink, once per `key` (the same
    /// key from another Berth process, or again later, sends nothing).
    pub async fn notify(&self, key: &str, environment: &str, event: &str, words: &str) {
        for name in &self.config.sharing.notify {
            let Some(sink) = self
                .config
                .releases
                .markers
                .iter()
                .find(|m| m.name == *name)
            else {
                continue;
            };
            let payload = match sink.kind {
                // Slack reads `<!channel>` and `<url|text>` in text: a
                // reason must not ping everyone or plant a link.
                MarkerKind::Slack => json!({ "text": slack_escape(words) }),
                MarkerKind::Webhook => json!({
                    "event": event,
                    "environment": environment,
                    "text": words,
                }),
                MarkerKind::Grafana | MarkerKind::NewRelic => continue,
            };
            let notice = NewMarker {
                release_id: 0,
                sink: sink.name.clone(),
                service: environment.into(),
                image_tag: key.into(),
                payload: payload.to_string(),
            };
            if let Err(err) = self.store.enqueue_notice(&notice, unix_now()).await {
                tracing::error!(%err, event, "cannot queue a notification");
            }
        }
    }
}

/// Slack's three control characters, escaped as its docs ask.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_reason_cannot_ping_a_slack_channel() {
        assert_eq!(
            super::slack_escape("<!channel> & <https://x|docs>"),
            "&lt;!channel&gt; &amp; &lt;https://x|docs&gt;"
        );
    }
}
