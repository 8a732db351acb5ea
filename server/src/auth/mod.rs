//! Who is acting: a signed session (local mode), identity headers from a
//! trusted proxy, or an API token; and what their role lets them do. Every
//! server function and API route asks here; the UI only hides buttons.

pub mod config;
pub mod csrf;
mod proxy;
mod secrets;
pub(crate) use secrets::new_secret;
pub mod session;

use proxy::{forwarded_client, valid_email};
pub use secrets::{hash_token, new_token};

use std::{net::SocketAddr, sync::Arc};

use app::{
    error::BerthError,
    model::{Role, Viewer},
};
use axum::extract::ConnectInfo;
use axum::http::{request::Parts, Extensions, HeaderMap};

use crate::{
    clock::unix_now,
    config::{Config, EnvironmentConfig},
    store::AccessStore,
};
use config::AuthMode;
use session::SessionKey;

/// The identity `Gatekeeper::identify` found for a request, kept in its
/// extensions. Only the server inserts it; a client cannot send one.
#[derive(Debug, Clone)]
pub struct Identified(pub Option<Identity>);

/// How a person proved who they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Via {
    Session,
    Proxy,
    Token,
    /// Berth itself, carrying out a configured rule (sandbox expiry).
    Rule,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Session => "session",
            Via::Proxy => "proxy",
            Via::Token => "token",
            Via::Rule => "rule",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub user: String,
    pub email: String,
    pub groups: Vec<String>,
    pub role: Role,
    pub via: Via,
    pub remote: Option<String>,
}

impl Identity {
    pub fn may_write(&self, env: &EnvironmentConfig) -> bool {
        env.file.is_some() && env.writers().contains(&self.role)
    }

    /// The same rule the pages use to offer "delete": `Role::may_delete_sandbox`.
    pub fn may_delete_sandbox(&self, owner: Option<&str>) -> bool {
        self.role.may_delete_sandbox(&self.user, owner)
    }
}

/// User names as Berth accepts them: they end up in commit trailers,
/// cookies and file contents, so they are kept plain.
pub fn check_user_name(user: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&user.len())
        && user.starts_with(|c: char| c.is_ascii_lowercase())
        && user
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid user name: use 1-64 lowercase letters, digits, '.', '_' or '-', starting with a letter",
            user.chars().take(64).collect::<String>()
        ))
    }
}

pub struct Gatekeeper {
    config: Arc<Config>,
    key: SessionKey,
    store: Arc<dyn AccessStore>,
}

impl Gatekeeper {
    pub fn new(config: Arc<Config>, key: SessionKey, store: Arc<dyn AccessStore>) -> Self {
        Gatekeeper { config, key, store }
    }

    pub fn local_login(&self) -> bool {
        self.config.auth.mode == AuthMode::Local
    }

    /// The person behind a request, if any. A token that is presented but
    /// wrong is an error, not an anonymous request.
    pub async fn identify(&self, parts: &Parts) -> Result<Option<Identity>, BerthError> {
        // Already identified for this request (by the page cache): the
        // page's own server functions need not ask the database again.
        if let Some(Identified(who)) = parts.extensions.get::<Identified>() {
            return Ok(who.clone());
        }
        let remote = peer(&parts.extensions);
        let remote_text = self.client_address(&parts.headers, &parts.extensions);
        if let Some(auth) = header(parts, "authorization") {
            let token = auth.strip_prefix("Bearer ").ok_or_else(|| {
                BerthError::Unauthenticated("use `Authorization: Bearer <token>`".into())
            })?;
            let owner = self
                .store
                .token_owner(&hash_token(token.trim()), unix_now())
                .await
                .map_err(|e| BerthError::Unavailable(e.to_string()))?
                .ok_or_else(|| {
                    BerthError::Unauthenticated("the API token is unknown or revoked".into())
                })?;
            return Ok(Some(self.identity(
                owner.user,
                None,
                owner.groups,
                Via::Token,
                remote_text,
            )));
        }
        let auth = &self.config.auth;
        match auth.mode {
            AuthMode::TrustedProxy => {
                let trusted = remote.is_some_and(|ip| auth.trusted_proxies.contains(&ip));
                let Some(user) = header(parts, &auth.user_header) else {
                    return Ok(None);
                };
                if !trusted {
                    tracing::warn!(
                        ?remote,
                        "identity headers from an untrusted address are ignored"
                    );
                    return Ok(None);
                }
                let user = user.trim().to_ascii_lowercase();
                // The name goes into commit trailers, file contents and the
                // displayed SSH command: the proxy's word is not enough.
                check_user_name(&user).map_err(|why| {
                    BerthError::Forbidden(format!(
                        "the login proxy named you in a way Berth cannot use: {why}"
                    ))
                })?;
                let email = header(parts, &auth.email_header)
                    .map(str::trim)
                    .filter(|e| valid_email(e))
                    .map(str::to_string);
                let groups = header(parts, &auth.groups_header)
                    .map(|g| {
                        g.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty() && s.len() <= 128)
                            .take(64)
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Some(self.identity(
                    user,
                    email,
                    groups,
                    Via::Proxy,
                    remote_text,
                )))
            }
            AuthMode::Local => {
                let Some(claim) = header(parts, "cookie")
                    .and_then(session::from_cookie_header)
                    .and_then(|value| self.key.verify(value, unix_now()))
                else {
                    return Ok(None);
                };
                // A signed cookie of a session that was signed out is nobody.
                let live = self
                    .store
                    .session_user(&hash_token(&claim.id), unix_now())
                    .await
                    .map_err(|e| BerthError::Unavailable(e.to_string()))?;
                Ok((live.as_deref() == Some(claim.user.as_str())).then(|| {
                    self.identity(claim.user, None, Vec::new(), Via::Session, remote_text)
                }))
            }
        }
    }

    /// The client's address for the audit log: behind a trusted proxy, the
    /// one it appended to `X-Forwarded-For`; otherwise the peer's.
    pub fn client_address(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<String> {
        let remote = peer(extensions);
        let auth = &self.config.auth;
        let proxied = auth.mode == AuthMode::TrustedProxy
            && remote.is_some_and(|ip| auth.trusted_proxies.contains(&ip));
        proxied
            .then(|| forwarded_client(headers, &auth.trusted_proxies))
            .flatten()
            .or(remote.map(|ip| ip.to_string()))
    }

    /// The user a trusted proxy names in a request, if it is a name Berth
    /// can use; for auditing a request refused before identification.
    pub fn proxy_named_user(&self, headers: &HeaderMap, extensions: &Extensions) -> Option<String> {
        let auth = &self.config.auth;
        let trusted = peer(extensions).is_some_and(|ip| auth.trusted_proxies.contains(&ip));
        if auth.mode != AuthMode::TrustedProxy || !trusted {
            return None;
        }
        let user = headers
            .get(auth.user_header.as_str())?
            .to_str()
            .ok()?
            .trim()
            .to_ascii_lowercase();
        check_user_name(&user).is_ok().then_some(user)
    }

    /// Like `identify`, but nobody signed in is an error.
    pub async fn require(&self, parts: &Parts) -> Result<Identity, BerthError> {
        self.identify(parts).await?.ok_or_else(|| {
            BerthError::Unauthenticated(if self.local_login() {
                "sign in first to make changes".into()
            } else {
                "sign in through the company login first".into()
            })
        })
    }

    fn identity(
        &self,
        user: String,
        email: Option<String>,
        groups: Vec<String>,
        via: Via,
        remote: Option<String>,
    ) -> Identity {
        let auth = &self.config.auth;
        Identity {
            email: email.unwrap_or_else(|| format!("{user}@{}", auth.email_domain)),
            role: auth.role_of(&user, &groups),
            user,
            groups,
            via,
            remote,
        }
    }

    /// A session cookie for a person who picked `user` at `/login`.
    pub async fn login(&self, user: &str) -> Result<String, BerthError> {
        if !self.local_login() {
            return Err(BerthError::Forbidden(
                "this Berth signs people in through the company login, not /login".into(),
            ));
        }
        check_user_name(user).map_err(BerthError::Invalid)?;
        let max_age = (self.config.auth.session_hours * 3600) as i64;
        let id = new_secret().map_err(BerthError::Unavailable)?;
        let now = unix_now();
        self.store
            .create_session(&hash_token(&id), user, now, now + max_age)
            .await
            .map_err(|e| BerthError::Unavailable(e.to_string()))?;
        let value = self.key.issue(&id, user, now + max_age);
        Ok(session::set_cookie(
            &value,
            max_age,
            self.config.auth.secure_cookies,
        ))
    }

    /// Ends the request's session, or with `everywhere` every session of
    /// its person, and returns the cookie that clears it in this browser.
    pub async fn logout(&self, parts: &Parts, everywhere: bool) -> Result<String, BerthError> {
        let claim = header(parts, "cookie")
            .and_then(session::from_cookie_header)
            .and_then(|value| self.key.verify(value, unix_now()));
        if let Some(claim) = claim {
            let now = unix_now();
            let id_hash = hash_token(&claim.id);
            // Only a live session may end the others: a cookie kept after
            // signing out must not sign its person out everywhere.
            let live = self
                .store
                .session_user(&id_hash, now)
                .await
                .map_err(|e| BerthError::Unavailable(e.to_string()))?;
            let everywhere = everywhere && live.as_deref() == Some(claim.user.as_str());
            let ended = if everywhere {
                self.store.end_sessions_of(&claim.user, now).await
            } else {
                self.store.end_session(&id_hash, now).await.map(u64::from)
            };
            let ended = ended.map_err(|e| BerthError::Unavailable(e.to_string()))?;
            tracing::info!(user = %claim.user, everywhere, ended, "signed out");
        }
        Ok(session::set_cookie("", 0, self.config.auth.secure_cookies))
    }

    pub fn secure_cookies(&self) -> bool {
        self.config.auth.secure_cookies
    }

    /// What the UI may show to this person.
    pub fn viewer(&self, who: Option<&Identity>) -> Viewer {
        Viewer {
            user: who.map(|w| w.user.clone()),
            role: who.map(|w| w.role),
            writable_environments: who
                .map(|w| {
                    self.config
                        .environments
                        .iter()
                        .filter(|e| w.may_write(e))
                        .map(|e| e.name.clone())
                        .collect()
                })
                .unwrap_or_default(),
            local_login: self.local_login(),
        }
    }
}

fn peer(extensions: &Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_plain() {
        assert!(check_user_name("kohbis").is_ok());
        assert!(check_user_name("ann.lee-2").is_ok());
        for bad in [
            "",
            "Ann",
            "1ann",
            "ann smith",
            "ann\nBerth-Actor: x",
            "a/b",
            &"a".repeat(65),
        ] {
            assert!(check_user_name(bad).is_err(), "{bad:?}");
        }
    }
}
