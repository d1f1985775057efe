//! xAPI versions.

/// A version of the xAPI specification this LRS implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum XapiVersion {
    /// xAPI 1.0.3 (accepts any 1.0.x header).
    V1_0_3,
    /// xAPI 2.0.0, IEEE 9274.1.1.
    V2_0_0,
}

impl XapiVersion {
    /// Parses the `X-Experience-API-Version` header value. `1.0`, `1.0.0` … `1.0.3` map to
    /// 1.0.3, `2.0` and `2.0.0` to 2.0.0; anything else is `None`.
    pub fn from_header(value: &str) -> Option<Self> {
        let value = value.trim();
        if matches_minor(value, "1.0") {
            Some(XapiVersion::V1_0_3)
        } else if matches_minor(value, "2.0") {
            Some(XapiVersion::V2_0_0)
        } else {
            None
        }
    }

    /// The version string to put in the `X-Experience-API-Version` response header.
    pub fn as_str(self) -> &'static str {
        match self {
            XapiVersion::V1_0_3 => "1.0.3",
            XapiVersion::V2_0_0 => "2.0.0",
        }
    }
}

/// `minor` itself or `minor.N` for any patch number N: the spec asks servers to accept every
/// patch release of a minor version they implement, since patches never change the data model.
pub(crate) fn matches_minor(value: &str, minor: &str) -> bool {
    match value.strip_prefix(minor) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('.')
            .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit())),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<XapiVersion>) {
        assert_eq!(
            XapiVersion::from_header(input),
            expected,
            "header {input:?}"
        );
    }

    #[test]
    fn header_values() {
        use XapiVersion::*;
        check("1.0", Some(V1_0_3));
        check("1.0.0", Some(V1_0_3));
        check("1.0.1", Some(V1_0_3));
        check("1.0.2", Some(V1_0_3));
        check("1.0.3", Some(V1_0_3));
        check(" 1.0.3 ", Some(V1_0_3));
        check("2.0", Some(V2_0_0));
        check("2.0.0", Some(V2_0_0));
        check("1.0.9", Some(V1_0_3));
        check("2.0.1", Some(V2_0_0));
        check("1.0.", None);
        check("1.0.x", None);
        check("1.00", None);
        check("1.1", None);
        check("0.95", None);
        check("2.1.0", None);
        check("", None);
        check("garbage", None);
    }

    #[test]
    fn as_str_round_trips() {
        for v in [XapiVersion::V1_0_3, XapiVersion::V2_0_0] {
            assert_eq!(XapiVersion::from_header(v.as_str()), Some(v));
        }
    }
}
