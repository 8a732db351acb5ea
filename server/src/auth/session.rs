//! Signed session cookies for local mode: `user.expiry.id.signature`, with
//! an HMAC-SHA256 key kept in the data dir. The signature proves Berth made
//! the cookie; the session id, looked up in the database on every request,
//! lets signing out end the session on the server too.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const COOKIE: &str = "berth_session";

#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// Reads the key file, creating it with a random key the first time.
    pub fn load_or_create(path: &std::path::Path) -> Result<SessionKey, String> {
        if let Ok(text) = std::fs::read_to_string(path) {
            let bytes = hex::decode(text.trim())
                .map_err(|_| format!("{} does not hold a hex key", path.display()))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| format!("{} must hold 32 bytes of hex", path.display()))?;
            return Ok(SessionKey(key));
        }
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key).map_err(|e| format!("no randomness: {e}"))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        write_private(path, &hex::encode(key))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(SessionKey(key))
    }

    pub fn from_bytes(key: [u8; 32]) -> SessionKey {
        SessionKey(key)
    }

    fn sign(&self, payload: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length works");
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The cookie value for session `id` of `user`, valid until `expires`
    /// (unix seconds).
    pub fn issue(&self, id: &str, user: &str, expires: i64) -> String {
        let payload = format!("{user}.{expires}.{id}");
        format!("{payload}.{}", self.sign(&payload))
    }

    /// The session of a valid, unexpired cookie value; whether the session
    /// is still live is the database's to say.
    pub fn verify(&self, value: &str, now: i64) -> Option<SessionClaim> {
        let (payload, signature) = value.rsplit_once('.')?;
        let (rest, id) = payload.rsplit_once('.')?;
        let (user, expires) = rest.rsplit_once('.')?;
        // Compared through the MAC's constant-time check.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length works");
        mac.update(payload.as_bytes());
        let given = hex::decode(signature).ok()?;
        mac.verify_slice(&given).ok()?;
        let expires: i64 = expires.parse().ok()?;
        (expires > now && super::check_user_name(user).is_ok() && !id.is_empty()).then(|| {
            SessionClaim {
                user: user.to_string(),
                id: id.to_string(),
            }
        })
    }
}

/// What a verified cookie says: who, and which session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionClaim {
    pub user: String,
    pub id: String,
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The `Set-Cookie` header value: HttpOnly and SameSite so scripts and
/// other sites cannot use it.
pub fn set_cookie(value: &str, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

/// Finds the session cookie in a `Cookie` header.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    app::cookies::cookie_value(header, COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_accepted_only_unaltered_and_unexpired() {
        let key = SessionKey::from_bytes([7; 32]);
        let value = key.issue("s1", "ann", 1_000);
        let claim = key.verify(&value, 999).unwrap();
        assert_eq!((claim.user.as_str(), claim.id.as_str()), ("ann", "s1"));
        assert_eq!(key.verify(&value, 1_000), None, "expired");
        assert_eq!(key.verify(&value.replacen("ann", "bob", 1), 999), None);
        assert_eq!(key.verify(&value.replace(".1000.", ".9999."), 999), None);
        assert_eq!(key.verify(&value.replace(".s1.", ".s2."), 999), None);
        let other = SessionKey::from_bytes([8; 32]);
        assert_eq!(other.verify(&value, 999), None);
        assert_eq!(key.verify("garbage", 0), None);
    }

    #[test]
    fn cookie_header_is_httponly_samesite() {
        let header = set_cookie("v", 60, false);
        assert!(header.contains("HttpOnly") && header.contains("SameSite=Lax"));
        assert!(set_cookie("v", 60, true).ends_with("; Secure"));
        assert_eq!(
            from_cookie_header("a=b; berth_session=x.1.sig; c=d"),
            Some("x.1.sig")
        );
    }

    #[test]
    fn the_key_file_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/session.key");
        let a = SessionKey::load_or_create(&path).unwrap();
        let b = SessionKey::load_or_create(&path).unwrap();
        assert_eq!(a.issue("s", "ann", 5), b.issue("s", "ann", 5));
    }
}
