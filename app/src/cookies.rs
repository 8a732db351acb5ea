//! Reading one cookie out of a `Cookie` header: the one parser the server
//! and the server functions share.

/// The value of cookie `name` in a `Cookie` header, if present.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::cookie_value;

    #[test]
    fn finds_the_named_cookie_only() {
        let header = "a=b; berth_session=x.1.sig; c=d";
        assert_eq!(cookie_value(header, "berth_session"), Some("x.1.sig"));
        assert_eq!(cookie_value(header, "c"), Some("d"));
        assert_eq!(cookie_value(header, "berth"), None);
        assert_eq!(cookie_value("", "a"), None);
        assert_eq!(cookie_value("xa=1; a=2", "a"), Some("2"));
    }
}
