//! The random secrets Berth hands out (API tokens, session ids) and the
//! hash under which it keeps them.

use sha2::{Digest, Sha256};

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new random API token; only its hash is stored.
pub fn new_token() -> Result<String, String> {
    Ok(format!("berth_{}", new_secret()?))
}

/// 32 random bytes as hex: API tokens and session ids.
pub(crate) fn new_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token().unwrap();
        assert!(a.starts_with("berth_") && a.len() == 70);
        assert_ne!(a, new_token().unwrap());
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
