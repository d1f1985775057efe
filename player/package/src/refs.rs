//! References from a manifest to the package's files: launch URLs and file lists, checked the
//! same way for every standard.

use crate::report::Report;

/// A relative URL without query and fragment, percent-decoded, `./` segments removed.
pub(crate) fn file_of(href: &str) -> String {
    let end = href.find(['?', '#']).unwrap_or(href.len());
    let plain = href.get(..end).unwrap_or(href);
    let decoded = percent_decode(plain);
    decoded
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// Whether an href points outside the package (an absolute URL is allowed for assets hosted
/// elsewhere; the launch then leaves the content origin's sandbox, which is the vendor's choice).
pub(crate) fn is_external(href: &str) -> bool {
    href.contains("://") || href.starts_with("//")
}

/// A missing launch file stops the import; a missing listed file is a warning (authoring
/// tools leave stale file lists behind, and the runtime will answer 404 for them).
pub(crate) fn check_file(
    manifest: &str,
    href: &str,
    exists: &dyn Fn(&str) -> bool,
    report: &mut Report,
    at: &str,
    launch: bool,
) {
    let file = file_of(href);
    if crate::archive::check_path(&file).is_err() {
        report.error(manifest, at, format!("{href:?} points outside the package"));
    } else if !exists(&file) {
        if launch {
            report.error(manifest, at, format!("{file:?} is not in the package"));
        } else {
            report.warning(
                manifest,
                at,
                format!("{file:?} is listed but not in the package"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_of_strips_query_fragment_and_decodes() {
        assert_eq!(file_of("a/b.html?x=1#top"), "a/b.html");
        assert_eq!(file_of("./a/my%20page.html"), "a/my page.html");
        assert_eq!(file_of("a//b.html"), "a/b.html");
    }
}
