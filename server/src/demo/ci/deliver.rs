//! Webhook deliveries as GitHub makes them: a JSON body signed with the
//! shared secret (`X-Hub-Signature-256`), a unique `X-GitHub-Delivery`,
//! retried while Berth is not up yet.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{clock::unix_now, release::github::sign};

const ATTEMPTS: u32 = 10;

pub struct Deliverer {
    berth: SocketAddr,
    secret: Vec<u8>,
    /// Delivery ids are unique across starts: the start time and a count.
    started: i64,
    sent: AtomicU64,
}

impl Deliverer {
    pub fn new(berth: SocketAddr, secret: Vec<u8>) -> Deliverer {
        // A server listening on every address is reached on loopback.
        let berth = if berth.ip().is_unspecified() {
            SocketAddr::from(([127, 0, 0, 1], berth.port()))
        } else {
            berth
        };
        Deliverer {
            berth,
            secret,
            started: unix_now(),
            sent: AtomicU64::new(0),
        }
    }

    /// Sends one event; gives up (and logs) after a few attempts.
    pub async fn send(&self, event: &str, body: Value) {
        let n = self.sent.fetch_add(1, Ordering::Relaxed);
        let delivery = format!("demo-{}-{n}", self.started);
        self.send_as(&delivery, event, body).await;
    }

    /// Sends one event under a delivery id of the caller's.
    pub async fn send_as(&self, delivery: &str, event: &str, body: Value) {
        let body = body.to_string();
        for attempt in 1..=ATTEMPTS {
            match self.post(event, delivery, &body).await {
                Ok(status) if status < 500 => {
                    tracing::debug!(event, %delivery, status, "demo CI delivered");
                    return;
                }
                Ok(status) => tracing::debug!(event, status, attempt, "demo CI delivery failed"),
                Err(error) => {
                    tracing::debug!(event, %error, attempt, "demo CI cannot reach Berth yet")
                }
            }
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
        }
        tracing::warn!(event, %delivery, "the demo CI gave up on a delivery");
    }

    /// One HTTP/1.1 request; the answer's status code.
    async fn post(&self, event: &str, delivery: &str, body: &str) -> std::io::Result<u16> {
        let mut stream = tokio::net::TcpStream::connect(self.berth).await?;
        let signature = sign(&self.secret, body.as_bytes());
        let request = format!(
            "POST /hooks/github HTTP/1.1\r\nHost: {}\r\nUser-Agent: GitHub-Hookshot/demo\r\nContent-Type: application/json\r\nX-GitHub-Event: {event}\r\nX-GitHub-Delivery: {delivery}\r\nX-Hub-Signature-256: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.berth,
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        let head = String::from_utf8_lossy(&answer[..answer.len().min(32)]).to_string();
        head.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))
    }
}
