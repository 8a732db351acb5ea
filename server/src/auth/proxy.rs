//! Reading what a trusted login proxy says about a request.

use axum::http::HeaderMap;

/// The client's address as the trusted proxy saw it: the proxy appends the
/// peer it heard from to `X-Forwarded-For`, so the rightmost entry that is
/// not one of our own proxies is the client; entries left of it are
/// whatever the client claimed and are ignored.
pub(super) fn forwarded_client(
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> Option<String> {
    let mut last = None;
    for list in headers.get_all("x-forwarded-for") {
        let Ok(list) = list.to_str() else { continue };
        last = list
            .rsplit(',')
            .map(str::trim)
            .filter_map(|entry| entry.parse::<std::net::IpAddr>().ok())
            .find(|ip| !trusted.contains(ip))
            .or(last);
    }
    last.map(|ip| ip.to_string())
}

/// An email header value that is safe to put in a commit's author line.
pub(super) fn valid_email(email: &str) -> bool {
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && email
            .chars()
            .all(|c| c.is_ascii_graphic() && !"<>\\\"',;".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_the_rightmost_address_not_our_own_proxy() {
        let ours = ["10.0.0.2".parse().unwrap()];
        let claimed_then_real = forwarded(&["6.6.6.6, 203.0.113.9"]);
        assert_eq!(
            forwarded_client(&claimed_then_real, &ours).as_deref(),
            Some("203.0.113.9")
        );
        let through_two_of_ours = forwarded(&["6.6.6.6, 203.0.113.9, 10.0.0.2"]);
        assert_eq!(
            forwarded_client(&through_two_of_ours, &ours).as_deref(),
            Some("203.0.113.9")
        );
        let later_header_wins = forwarded(&["6.6.6.6", "198.51.100.1"]);
        assert_eq!(
            forwarded_client(&later_header_wins, &ours).as_deref(),
            Some("198.51.100.1")
        );
        assert_eq!(forwarded_client(&forwarded(&["not-an-ip"]), &ours), None);
        assert_eq!(forwarded_client(&HeaderMap::new(), &ours), None);
    }

    #[test]
    fn only_plain_emails_reach_a_commit() {
        assert!(valid_email("ann@example.com"));
        for bad in [
            "", "ann", "@x", "ann@", "a <b>@x", "ann@x\n", "a\"b@x", "a,b@x",
        ] {
            assert!(!valid_email(bad), "{bad:?}");
        }
        assert!(!valid_email(&format!("{}@x", "a".repeat(260))));
    }
}
