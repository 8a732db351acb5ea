//! Which `Host` names Berth answers to: the defence against DNS rebinding.
//!
//! A page on `evil.example` whose name is re-pointed at 127.0.0.1 talks to
//! a local Berth as its own origin, so the same-origin check passes and,
//! in local mode, anyone may sign in as anyone. The browser still sends
//! `Host: evil.example:3000`, so refusing names Berth was not told about
//! closes the hole for reads and writes alike.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::{
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{auth::config::AuthMode, config::Config};

/// The address the listener is really bound to, added by `serve`: the
/// config may say port 0 (tests) and only the listener knows the port.
#[derive(Debug, Clone, Copy)]
pub struct Listening(pub SocketAddr);

#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// Local mode: loopback names on the listening port are accepted.
    loopback: bool,
    allowed: Vec<(String, Option<u16>)>,
    /// From the config; used only when `serve` did not add `Listening`.
    configured_port: u16,
}

impl HostPolicy {
    pub fn new(config: &Config) -> HostPolicy {
        let allowed = config
            .allowed_hosts
            .iter()
            .filter_map(|entry| {
                let parsed = split_host(entry.trim());
                if parsed.is_none() {
                    tracing::warn!(entry, "allowed_hosts: not a host or host:port; ignored");
                }
                parsed
            })
            .collect();
        HostPolicy {
            loopback: config.auth.mode == AuthMode::Local,
            allowed,
            configured_port: config.listen.port(),
        }
    }

    /// `Ok` when a request for `host` may be answered.
    fn check(&self, host: Option<&str>, port: u16) -> Result<(), String> {
        if !self.loopback && self.allowed.is_empty() {
            return Ok(());
        }
        let Some(host) = host else {
            return Err(
                "The request has no Host header, so Berth cannot tell which site \
                        it was meant for and does not answer it."
                    .into(),
            );
        };
        let Some((name, asked_port)) = split_host(host) else {
            return Err("The Host header of this request is not a host name.".into());
        };
        let allowed = self.allowed.iter().any(|(allowed, allowed_port)| {
            *allowed == name && allowed_port.is_none_or(|p| Some(p) == asked_port)
        });
        // No port in Host means the scheme's default; Berth itself speaks
        // plain HTTP.
        let loopback = self.loopback && is_loopback(&name) && asked_port.unwrap_or(80) == port;
        if allowed || loopback {
            return Ok(());
        }
        let shown: String = host.chars().take(100).collect();
        Err(format!(
            "This Berth does not answer to the name `{shown}`. Open it by the address it \
             serves on, or add the name to `allowed_hosts` in berth.toml."
        ))
    }
}

/// Refuses requests for names Berth does not serve, whatever their method:
/// a rebound page could read pages as well as post forms.
pub async fn check_host(
    State(policy): State<HostPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // Health checkers address the pod by IP (kubelet sends
    // `Host: 10.1.2.3:3000`); the answers are one word and read nothing a
    // rebound page could use.
    if matches!(path, "/healthz" | "/readyz") {
        return next.run(request).await;
    }
    let port = request
        .extensions()
        .get::<Listening>()
        .map_or(policy.configured_port, |l| l.0.port());
    // HTTP/2 carries the name in the `:authority` pseudo-header instead.
    // Two Host headers, or an absolute-form target naming another host
    // than Host, are malformed (RFC 9112 §3.2): no browser sends them, and
    // answering would let a proxy and Berth disagree on the name.
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => return bad_request("The request has more than one Host header."),
        (Some(value), None) => value.to_str().ok(),
        (None, _) => request.uri().authority().map(|a| a.as_str()),
    };
    if let (Some(host), Some(target)) = (host, request.uri().authority()) {
        if !host.eq_ignore_ascii_case(target.as_str()) {
            return bad_request("The request's target names another host than its Host header.");
        }
    }
    if let Err(why) = policy.check(host, port) {
        tracing::warn!(
            host,
            path,
            "request for a host name Berth does not serve refused"
        );
        return (
            // 421: this server is not the one for that name, which is the
            // truth here; 403 would suggest signing in could help.
            StatusCode::MISDIRECTED_REQUEST,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            why,
        )
            .into_response();
    }
    next.run(request).await
}

fn bad_request(why: &'static str) -> Response {
    tracing::warn!(why, "malformed Host refused");
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        why,
    )
        .into_response()
}

/// `name` or `name:port`, the name lower-cased, an IPv6 name in brackets.
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let (name, rest) = host.split_at(end + 1);
        match rest {
            "" => (name, None),
            _ => (name, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    // Digits only: `u16::from_str` would also take `+3000`.
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok()?)
        }
        Some(_) => return None,
        None => None,
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._".contains(c);
    let valid = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(ip) => {
            !ip.is_empty()
                && ip
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || ":.".contains(c))
        }
        None => !name.is_empty() && name.chars().all(plain),
    };
    valid.then(|| (name.to_ascii_lowercase(), port))
}

/// Names only this machine can have: `localhost` and loopback literals.
/// An IP literal involves no DNS, so it cannot be rebound. Subdomains of
/// `localhost` are left out: Chrome and Firefox pin them to loopback, but
/// other clients may ask the network's DNS server for them. A trailing dot
/// (`localhost.`) is a DNS lookup too, so it is refused.
fn is_loopback(name: &str) -> bool {
    if name == "localhost" {
        return true;
    }
    if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(loopback: bool, allowed: &[&str]) -> HostPolicy {
        HostPolicy {
            loopback,
            allowed: allowed.iter().filter_map(|a| split_host(a)).collect(),
            configured_port: 0,
        }
    }

    #[test]
    fn local_mode_answers_only_loopback_names_on_its_port() {
        let local = policy(true, &[]);
        for ok in [
            "localhost:3000",
            "LOCALHOST:3000",
            "127.0.0.1:3000",
            "127.8.9.1:3000",
            "[::1]:3000",
            "[::ffff:127.0.0.1]:3000",
        ] {
            assert!(local.check(Some(ok), 3000).is_ok(), "{ok}");
        }
        for bad in [
            "evil.example:3000",
            "localhost:3001",
            "localhost",
            "localhost.:3000",
            "berth.localhost:3000",
            "127.0.0.1.nip.io:3000",
            "10.0.0.1:3000",
            "0.0.0.0:3000",
            "[::2]:3000",
            "localhost:3000:3000",
            "localhost:+3000",
            "localhost:",
            "",
            "local host:3000",
        ] {
            assert!(local.check(Some(bad), 3000).is_err(), "{bad:?}");
        }
        assert!(local.check(None, 3000).is_err(), "no Host at all");
        assert!(
            local.check(Some("localhost"), 80).is_ok(),
            "port 80 is implied"
        );
    }

    #[test]
    fn allowed_hosts_add_to_loopback_and_restrict_other_modes() {
        let local = policy(true, &["berth.localhost"]);
        assert!(local.check(Some("berth.localhost:3000"), 3000).is_ok());
        assert!(local.check(Some("localhost:3000"), 3000).is_ok());

        let open = policy(false, &[]);
        assert!(open.check(Some("anything.example"), 3000).is_ok());
        assert!(open.check(None, 3000).is_ok());

        let proxied = policy(false, &["Berth.Example.com", "10.0.0.7:8080"]);
        assert!(proxied.check(Some("berth.example.com"), 3000).is_ok());
        assert!(proxied.check(Some("berth.example.com:443"), 3000).is_ok());
        assert!(proxied.check(Some("10.0.0.7:8080"), 3000).is_ok());
        assert!(proxied.check(Some("10.0.0.7:8081"), 3000).is_err());
        assert!(proxied.check(Some("localhost:3000"), 3000).is_err());
        assert!(proxied.check(Some("evil.example"), 3000).is_err());
        assert!(proxied.check(None, 3000).is_err());
    }

    #[test]
    fn host_names_split_into_name_and_port() {
        assert_eq!(split_host("a.b:80"), Some(("a.b".into(), Some(80))));
        assert_eq!(split_host("[::1]"), Some(("[::1]".into(), None)));
        assert_eq!(split_host("[::1]:3000"), Some(("[::1]".into(), Some(3000))));
        assert_eq!(split_host("[::1]x"), None);
        assert_eq!(split_host("a:99999"), None);
        assert_eq!(split_host("a:"), None);
        assert_eq!(split_host("::1"), None);
    }
}
