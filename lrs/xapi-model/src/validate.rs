//! Validation of statements and of the JSON parameters of the xAPI resources.

use serde_json::{Map, Value};

use crate::time::{is_duration, parse_timestamp};
use crate::version::matches_minor;
use crate::{Problem, VOIDED_VERB, XapiVersion};

/// Validates one statement as received from a client (before the LRS adds `stored`,
/// `authority` etc.). Returns every problem found; an empty vector means valid.
/// Paths are relative to the statement and start with `prefix` (e.g. `statement[3]` gives
/// `statement[3].result.score.scaled`; an empty prefix gives `result.score.scaled`).
pub fn validate_statement(statement: &Value, version: XapiVersion, prefix: &str) -> Vec<Problem> {
    let mut v = Validator::new(version);
    if let Some(map) = v.object(statement, prefix) {
        v.statement(map, prefix, false);
    }
    v.problems
}

/// Validates an Agent or identified Group given as a query parameter (`agent=` of the statement,
/// state and agent-profile resources). Groups are allowed only where `allow_group`.
/// Problem paths are relative to the parameter (`mbox`, `account.homePage`; empty for the
/// value as a whole), so callers can prefix them with the parameter name.
pub fn validate_agent_param(
    agent: &Value,
    version: XapiVersion,
    allow_group: bool,
) -> Vec<Problem> {
    let mut v = Validator::new(version);
    let path = "";
    let Some(map) = v.object(agent, path) else {
        return v.problems;
    };
    match v.object_type_of(map, path) {
        None | Some("Agent") => v.agent(map, path),
        Some("Group") if allow_group => {
            v.group(map, path);
            if !has_any_ifi(map) {
                v.report(
                    path,
                    "must be an Agent or an identified Group, not an anonymous Group",
                );
            }
        }
        Some("Group") => v.report(
            &join(path, "objectType"),
            "must be \"Agent\" here (a Group is not allowed)",
        ),
        Some(_) => v.report(&join(path, "objectType"), "must be \"Agent\" or \"Group\""),
    }
    v.problems
}

/// Is `s` an absolute IRI as xAPI requires (scheme + ':' + rest, no spaces …)?
pub fn is_iri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    let scheme_ok = scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok && !rest.is_empty() && iri_rest_ok(rest)
}

/// The part after the scheme: characters RFC 3987 never allows unescaped are refused, and
/// every `%` must start a two-digit escape.
fn iri_rest_ok(rest: &str) -> bool {
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c.is_whitespace()
            || c.is_control()
            || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`')
        {
            return false;
        }
        if c == '%' {
            let hex = |c: Option<char>| c.is_some_and(|c| c.is_ascii_hexdigit());
            if !(hex(chars.next()) && hex(chars.next())) {
                return false;
            }
        }
    }
    true
}

/// An IRL is an IRI that is meant to be dereferenced; its syntax is the same.
fn is_irl(s: &str) -> bool {
    is_iri(s)
}

/// Hyphenated 8-4-4-4-12 hex UUID, any case, any version or variant.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Is `tag` a well-formed RFC 5646 language tag (syntax only, no registry lookup)?
pub fn is_language_tag(tag: &str) -> bool {
    const GRANDFATHERED: &[&str] = &[
        "en-gb-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-be-fr",
        "sgn-be-nl",
        "sgn-ch-de",
        "art-lojban",
        "cel-gaulish",
        "no-bok",
        "no-nyn",
        "zh-guoyu",
        "zh-hakka",
        "zh-min",
        "zh-min-nan",
        "zh-xiang",
    ];
    let lower = tag.to_ascii_lowercase();
    if GRANDFATHERED.contains(&lower.as_str()) {
        return true;
    }
    let subtags: Vec<&str> = tag.split('-').collect();
    if subtags
        .iter()
        .any(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return false;
    }
    let alpha = |s: &str| s.bytes().all(|b| b.is_ascii_alphabetic());
    let digit = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mut rest = subtags.as_slice();
    let first = rest.first().copied().unwrap_or_default();
    if first.eq_ignore_ascii_case("x") {
        return private_use_ok(rest.get(1..).unwrap_or_default());
    }
    // Primary language: 2–3 letters (optionally followed by up to three extlangs), or 4–8.
    if !(alpha(first) && (2..=8).contains(&first.len())) {
        return false;
    }
    rest = rest.get(1..).unwrap_or_default();
    if first.len() <= 3 {
        let mut extlangs = 0;
        while rest.first().is_some_and(|s| s.len() == 3 && alpha(s)) {
            extlangs += 1;
            rest = rest.get(1..).unwrap_or_default();
        }
        if extlangs > 3 {
            return false;
        }
    }
    // Script.
    if rest.first().is_some_and(|s| s.len() == 4 && alpha(s)) {
        rest = rest.get(1..).unwrap_or_default();
    }
    // Region.
    if rest
        .first()
        .is_some_and(|s| (s.len() == 2 && alpha(s)) || (s.len() == 3 && digit(s)))
    {
        rest = rest.get(1..).unwrap_or_default();
    }
    // Variants.
    let is_variant = |s: &str| {
        (5..=8).contains(&s.len())
            || (s.len() == 4 && s.bytes().next().is_some_and(|b| b.is_ascii_digit()))
    };
    while rest.first().is_some_and(|s| is_variant(s)) {
        rest = rest.get(1..).unwrap_or_default();
    }
    // Extensions: a singleton other than x followed by one or more 2–8 character subtags.
    while rest
        .first()
        .is_some_and(|s| s.len() == 1 && !s.eq_ignore_ascii_case("x"))
    {
        rest = rest.get(1..).unwrap_or_default();
        let count = rest
            .iter()
            .take_while(|s| (2..=8).contains(&s.len()))
            .count();
        if count == 0 {
            return false;
        }
        rest = rest.get(count..).unwrap_or_default();
    }
    match rest.first() {
        None => true,
        Some(s) if s.eq_ignore_ascii_case("x") => private_use_ok(rest.get(1..).unwrap_or_default()),
        Some(_) => false,
    }
}

fn private_use_ok(subtags: &[&str]) -> bool {
    !subtags.is_empty() && subtags.iter().all(|s| (1..=8).contains(&s.len()))
}

/// `mailto:` followed by something shaped like an address (`local@domain`).
fn is_mailto(s: &str) -> bool {
    let Some(address) = s.strip_prefix("mailto:") else {
        return false;
    };
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !address.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

/// `type/subtype` with optional parameters; only the shape is checked.
fn is_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match essence.split_once('/') {
        Some((ty, sub)) => token(ty) && token(sub),
        None => false,
    }
}

const IFI_KEYS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

fn has_any_ifi(map: &Map<String, Value>) -> bool {
    IFI_KEYS.iter().any(|k| map.contains_key(*k))
}

// Paths are built for every node visited, so these avoid the formatting machinery.
fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        return key.to_owned();
    }
    let mut s = String::with_capacity(base.len() + 1 + key.len());
    s.push_str(base);
    s.push('.');
    s.push_str(key);
    s
}

fn index(base: &str, i: usize) -> String {
    let digits = i.to_string();
    let mut s = String::with_capacity(base.len() + 2 + digits.len());
    s.push_str(base);
    s.push('[');
    s.push_str(&digits);
    s.push(']');
    s
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What the statement's object turned out to be; context rules depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjectKind {
    Activity,
    Agent,
    Group,
    StatementRef,
    SubStatement,
    Unknown,
}

struct Validator {
    version: XapiVersion,
    problems: Vec<Problem>,
}

impl Validator {
    fn new(version: XapiVersion) -> Self {
        Self {
            version,
            problems: Vec::new(),
        }
    }

    fn report(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    fn wrong_type(&mut self, path: &str, expected: &str, got: &Value) {
        let message = if got.is_null() {
            format!("must be {expected}; null is not allowed")
        } else {
            format!("must be {expected}, not {}", type_name(got))
        };
        self.report(path, message);
    }

    fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.wrong_type(path, "an object", other);
                None
            }
        }
    }

    fn string<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a str> {
        match v {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    fn boolean(&mut self, v: &Value, path: &str) {
        if !v.is_boolean() {
            self.wrong_type(path, "a boolean", v);
        }
    }

    fn number(&mut self, v: &Value, path: &str) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            other => {
                self.wrong_type(path, "a number", other);
                None
            }
        }
    }

    fn array<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Vec<Value>> {
        match v {
            Value::Array(a) => Some(a),
            other => {
                self.wrong_type(path, "an array", other);
                None
            }
        }
    }

    /// Reports every property not in `allowed`. Keys are case-sensitive in xAPI, so
    /// `Actor` is as unknown as `foo`.
    fn only(&mut self, map: &Map<String, Value>, path: &str, allowed: &[&str]) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.report(&join(path, key), "is not an allowed property here");
            }
        }
    }

    fn required<'a>(
        &mut self,
        map: &'a Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'a Value> {
        let value = map.get(key);
        if value.is_none() {
            self.report(&join(path, key), "is required");
        }
        value
    }

    fn iri(&mut self, v: &Value, path: &str) {
        if let Some(s) = self.string(v, path)
            && !is_iri(s)
        {
            self.report(path, "must be an absolute IRI");
        }
    }

    fn irl(&mut self, v: &Value, path: &str) {
        if let Some(s) = self.string(v, path)
            && !is_irl(s)
        {
            self.report(path, "must be an absolute IRL");
        }
    }

    fn uuid(&mut self, v: &Value, path: &str) {
        if let Some(s) = self.string(v, path)
            && !is_uuid(s)
        {
            self.report(path, "must be a UUID in hyphenated form");
        }
    }

    fn timestamp(&mut self, v: &Value, path: &str) {
        if let Some(s) = self.string(v, path)
            && let Err(message) = parse_timestamp(s, self.version)
        {
            self.report(path, message);
        }
    }

    fn language_tag(&mut self, v: &Value, path: &str) {
        if let Some(s) = self.string(v, path)
            && !is_language_tag(s)
        {
            self.report(path, "must be an RFC 5646 language tag");
        }
    }

    fn language_map(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        for (tag, text) in map {
            let entry = join(path, tag);
            if !is_language_tag(tag) {
                self.report(&entry, "language map key must be an RFC 5646 language tag");
            }
            self.string(text, &entry);
        }
    }

    fn extensions(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        // Values are free-form (even null); only the keys are constrained.
        for key in map.keys() {
            if !is_iri(key) {
                self.report(&join(path, key), "extension key must be an absolute IRI");
            }
        }
    }

    fn object_type_of<'a>(&mut self, map: &'a Map<String, Value>, path: &str) -> Option<&'a str> {
        let v = map.get("objectType")?;
        self.string(v, &join(path, "objectType"))
    }

    // ----- statements -------------------------------------------------------------------

    fn statement(&mut self, map: &Map<String, Value>, path: &str, sub: bool) {
        if sub {
            for key in ["id", "stored", "version", "authority"] {
                if map.contains_key(key) {
                    self.report(&join(path, key), "is not allowed in a SubStatement");
                }
            }
            self.only(
                map,
                path,
                &[
                    "objectType",
                    "actor",
                    "verb",
                    "object",
                    "result",
                    "context",
                    "timestamp",
                    "attachments",
                    "id",
                    "stored",
                    "version",
                    "authority",
                ],
            );
        } else {
            self.only(
                map,
                path,
                &[
                    "id",
                    "actor",
                    "verb",
                    "object",
                    "result",
                    "context",
                    "timestamp",
                    "stored",
                    "authority",
                    "version",
                    "attachments",
                ],
            );
            if let Some(id) = map.get("id") {
                self.uuid(id, &join(path, "id"));
            }
        }

        if let Some(actor) = self.required(map, "actor", path) {
            self.actor(actor, &join(path, "actor"));
        }
        let verb_id = match self.required(map, "verb", path) {
            Some(verb) => self.verb(verb, &join(path, "verb")),
            None => None,
        };
        let kind = match self.required(map, "object", path) {
            Some(object) => self.statement_object(object, &join(path, "object"), sub),
            None => ObjectKind::Unknown,
        };
        if !sub && verb_id.as_deref() == Some(VOIDED_VERB) && kind != ObjectKind::StatementRef {
            self.report(
                &join(path, "object"),
                "a voiding statement's object must be a StatementRef",
            );
        }
        if let Some(result) = map.get("result") {
            self.result(result, &join(path, "result"));
        }
        if let Some(context) = map.get("context") {
            self.context(context, &join(path, "context"), kind);
        }
        if let Some(ts) = map.get("timestamp") {
            self.timestamp(ts, &join(path, "timestamp"));
        }
        if let Some(attachments) = map.get("attachments") {
            self.attachments(attachments, &join(path, "attachments"));
        }
        if !sub {
            if let Some(stored) = map.get("stored") {
                self.timestamp(stored, &join(path, "stored"));
            }
            if let Some(authority) = map.get("authority") {
                self.authority(authority, &join(path, "authority"));
            }
            if let Some(version) = map.get("version") {
                self.statement_version(version, &join(path, "version"));
            }
        }
    }

    fn statement_version(&mut self, v: &Value, path: &str) {
        let Some(s) = self.string(v, path) else {
            return;
        };
        let ok = match self.version {
            XapiVersion::V1_0_3 => matches_minor(s, "1.0"),
            // A 2.0 LRS still stores statements that were written for 1.0.x.
            XapiVersion::V2_0_0 => matches_minor(s, "1.0") || matches_minor(s, "2.0"),
        };
        if !ok {
            let message = match self.version {
                XapiVersion::V1_0_3 => "must be \"1.0\" or \"1.0.x\"",
                XapiVersion::V2_0_0 => "must be \"1.0\", \"1.0.x\", \"2.0\" or \"2.0.x\"",
            };
            self.report(path, message);
        }
    }

    // ----- actors -----------------------------------------------------------------------

    /// An Agent or a Group, told apart by `objectType` (absent means Agent).
    fn actor(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        match self.object_type_of(map, path) {
            None | Some("Agent") => self.agent(map, path),
            Some("Group") => self.group(map, path),
            Some(_) => self.report(&join(path, "objectType"), "must be \"Agent\" or \"Group\""),
        }
    }

    fn agent(&mut self, map: &Map<String, Value>, path: &str) {
        self.only(
            map,
            path,
            &[
                "objectType",
                "name",
                "mbox",
                "mbox_sha1sum",
                "openid",
                "account",
            ],
        );
        // Callers dispatch on `objectType`, so its value has been checked already.
        if let Some(name) = map.get("name") {
            self.string(name, &join(path, "name"));
        }
        self.ifi(map, path, true);
    }

    fn group(&mut self, map: &Map<String, Value>, path: &str) {
        self.only(
            map,
            path,
            &[
                "objectType",
                "name",
                "member",
                "mbox",
                "mbox_sha1sum",
                "openid",
                "account",
            ],
        );
        if let Some(name) = map.get("name") {
            self.string(name, &join(path, "name"));
        }
        let identified = has_any_ifi(map);
        if identified {
            self.ifi(map, path, true);
        }
        match map.get("member") {
            Some(members) => self.members(members, &join(path, "member")),
            None if !identified => {
                self.report(&join(path, "member"), "is required in an anonymous Group")
            }
            None => {}
        }
    }

    fn members(&mut self, v: &Value, path: &str) {
        let Some(members) = self.array(v, path) else {
            return;
        };
        for (i, member) in members.iter().enumerate() {
            let p = index(path, i);
            let Some(map) = self.object(member, &p) else {
                continue;
            };
            match self.object_type_of(map, &p) {
                None | Some("Agent") => self.agent(map, &p),
                Some("Group") => self.report(
                    &join(&p, "objectType"),
                    "a Group member must be an Agent, not a Group",
                ),
                Some(_) => self.report(&join(&p, "objectType"), "must be \"Agent\""),
            }
        }
    }

    /// Checks the inverse functional identifiers; exactly one is required when `required`.
    fn ifi(&mut self, map: &Map<String, Value>, path: &str, required: bool) {
        let present: Vec<&str> = IFI_KEYS
            .iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect();
        if present.len() > 1 {
            self.report(
                path,
                format!(
                    "must have exactly one of mbox, mbox_sha1sum, openid, account; found {}",
                    present.join(", ")
                ),
            );
        } else if present.is_empty() && required {
            self.report(
                path,
                "must have exactly one of mbox, mbox_sha1sum, openid, account",
            );
        }
        if let Some(mbox) = map.get("mbox") {
            let p = join(path, "mbox");
            if let Some(s) = self.string(mbox, &p)
                && !is_mailto(s)
            {
                self.report(&p, "must be a mailto IRI (mailto:name@example.com)");
            }
        }
        if let Some(sha) = map.get("mbox_sha1sum") {
            let p = join(path, "mbox_sha1sum");
            if let Some(s) = self.string(sha, &p)
                && !(s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                self.report(&p, "must be a SHA-1 hash as 40 hexadecimal digits");
            }
        }
        if let Some(openid) = map.get("openid") {
            let p = join(path, "openid");
            if let Some(s) = self.string(openid, &p)
                && !is_iri(s)
            {
                self.report(&p, "must be an absolute URI");
            }
        }
        if let Some(account) = map.get("account") {
            self.account(account, &join(path, "account"));
        }
    }

    fn account(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        self.only(map, path, &["homePage", "name"]);
        if let Some(home) = self.required(map, "homePage", path) {
            self.irl(home, &join(path, "homePage"));
        }
        if let Some(name) = self.required(map, "name", path) {
            self.string(name, &join(path, "name"));
        }
    }

    /// The authority: an Agent, or (OAuth 1.0 three-legged) an anonymous Group of exactly two
    /// Agents, the application and the user.
    fn authority(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        match self.object_type_of(map, path) {
            None | Some("Agent") => self.agent(map, path),
            Some("Group") => {
                self.group(map, path);
                if has_any_ifi(map) {
                    self.report(
                        path,
                        "a Group authority must be anonymous (OAuth consumer and user)",
                    );
                }
                let count = map.get("member").and_then(Value::as_array).map(Vec::len);
                if count.is_some_and(|n| n != 2) {
                    self.report(
                        &join(path, "member"),
                        "a Group authority must have exactly two members",
                    );
                }
            }
            Some(_) => self.report(&join(path, "objectType"), "must be \"Agent\" or \"Group\""),
        }
    }

    // ----- verb -------------------------------------------------------------------------

    /// Returns the verb id when it is a string, for the voiding rule.
    fn verb(&mut self, v: &Value, path: &str) -> Option<String> {
        let map = self.object(v, path)?;
        self.only(map, path, &["id", "display"]);
        if let Some(display) = map.get("display") {
            self.language_map(display, &join(path, "display"));
        }
        let id = self.required(map, "id", path)?;
        self.iri(id, &join(path, "id"));
        id.as_str().map(str::to_owned)
    }

    // ----- objects ----------------------------------------------------------------------

    fn statement_object(&mut self, v: &Value, path: &str, in_sub: bool) -> ObjectKind {
        let Some(map) = self.object(v, path) else {
            return ObjectKind::Unknown;
        };
        let kind = match map.get("objectType") {
            None => ObjectKind::Activity,
            Some(t) => match self.string(t, &join(path, "objectType")) {
                Some("Activity") => ObjectKind::Activity,
                Some("Agent") => ObjectKind::Agent,
                Some("Group") => ObjectKind::Group,
                Some("StatementRef") => ObjectKind::StatementRef,
                Some("SubStatement") => ObjectKind::SubStatement,
                Some(_) => {
                    self.report(
                        &join(path, "objectType"),
                        "must be \"Activity\", \"Agent\", \"Group\", \"StatementRef\" or \"SubStatement\"",
                    );
                    return ObjectKind::Unknown;
                }
                None => return ObjectKind::Unknown,
            },
        };
        match kind {
            ObjectKind::Activity => self.activity(map, path),
            ObjectKind::Agent => self.agent(map, path),
            ObjectKind::Group => self.group(map, path),
            ObjectKind::StatementRef => self.statement_ref(map, path),
            ObjectKind::SubStatement if in_sub => {
                self.report(
                    &join(path, "objectType"),
                    "a SubStatement cannot contain a SubStatement",
                );
            }
            ObjectKind::SubStatement => self.statement(map, path, true),
            ObjectKind::Unknown => {}
        }
        kind
    }

    fn statement_ref(&mut self, map: &Map<String, Value>, path: &str) {
        self.only(map, path, &["objectType", "id"]);
        if let Some(id) = self.required(map, "id", path) {
            self.uuid(id, &join(path, "id"));
        }
    }

    fn activity_value(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        if let Some(t) = self.object_type_of(map, path)
            && t != "Activity"
        {
            self.report(&join(path, "objectType"), "must be \"Activity\"");
        }
        self.activity(map, path);
    }

    fn activity(&mut self, map: &Map<String, Value>, path: &str) {
        self.only(map, path, &["objectType", "id", "definition"]);
        if let Some(id) = self.required(map, "id", path) {
            self.iri(id, &join(path, "id"));
        }
        if let Some(definition) = map.get("definition") {
            self.definition(definition, &join(path, "definition"));
        }
    }

    fn definition(&mut self, v: &Value, path: &str) {
        const COMPONENT_LISTS: [&str; 5] = ["choices", "scale", "source", "target", "steps"];
        let Some(map) = self.object(v, path) else {
            return;
        };
        self.only(
            map,
            path,
            &[
                "name",
                "description",
                "type",
                "moreInfo",
                "interactionType",
                "correctResponsesPattern",
                "choices",
                "scale",
                "source",
                "target",
                "steps",
                "extensions",
            ],
        );
        if let Some(name) = map.get("name") {
            self.language_map(name, &join(path, "name"));
        }
        if let Some(description) = map.get("description") {
            self.language_map(description, &join(path, "description"));
        }
        if let Some(ty) = map.get("type") {
            self.iri(ty, &join(path, "type"));
        }
        if let Some(more) = map.get("moreInfo") {
            self.irl(more, &join(path, "moreInfo"));
        }
        if let Some(ext) = map.get("extensions") {
            self.extensions(ext, &join(path, "extensions"));
        }
        if let Some(pattern) = map.get("correctResponsesPattern") {
            let p = join(path, "correctResponsesPattern");
            if let Some(items) = self.array(pattern, &p) {
                for (i, item) in items.iter().enumerate() {
                    self.string(item, &index(&p, i));
                }
            }
        }
        let interaction = match map.get("interactionType") {
            Some(t) => {
                let p = join(path, "interactionType");
                match self.string(t, &p) {
                    Some(s) => {
                        let allowed = allowed_components(s);
                        if allowed.is_none() {
                            self.report(
                                &p,
                                "must be one of true-false, choice, fill-in, long-fill-in, matching, \
                                 performance, sequencing, likert, numeric, other",
                            );
                        }
                        allowed
                    }
                    None => None,
                }
            }
            None => None,
        };
        if map.contains_key("correctResponsesPattern") && !map.contains_key("interactionType") {
            self.report(
                &join(path, "correctResponsesPattern"),
                "requires an interactionType",
            );
        }
        for list in COMPONENT_LISTS {
            let Some(components) = map.get(list) else {
                continue;
            };
            let p = join(path, list);
            match (map.get("interactionType"), interaction) {
                (None, _) => self.report(&p, "interaction components require an interactionType"),
                (Some(_), Some(allowed)) if !allowed.contains(&list) => {
                    self.report(&p, "is not allowed for this interactionType");
                }
                _ => {}
            }
            self.components(components, &p);
        }
    }

    fn components(&mut self, v: &Value, path: &str) {
        let Some(items) = self.array(v, path) else {
            return;
        };
        let mut seen: Vec<&str> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            let Some(map) = self.object(item, &p) else {
                continue;
            };
            self.only(map, &p, &["id", "description"]);
            if let Some(id) = self.required(map, "id", &p)
                && let Some(id) = self.string(id, &join(&p, "id"))
            {
                if seen.contains(&id) {
                    self.report(
                        &join(&p, "id"),
                        "interaction component ids must be distinct",
                    );
                }
                seen.push(id);
            }
            if let Some(description) = map.get("description") {
                self.language_map(description, &join(&p, "description"));
            }
        }
    }

    // ----- result -----------------------------------------------------------------------

    fn result(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        self.only(
            map,
            path,
            &[
                "score",
                "success",
                "completion",
                "response",
                "duration",
                "extensions",
            ],
        );
        if let Some(score) = map.get("score") {
            self.score(score, &join(path, "score"));
        }
        for key in ["success", "completion"] {
            if let Some(b) = map.get(key) {
                self.boolean(b, &join(path, key));
            }
        }
        if let Some(response) = map.get("response") {
            self.string(response, &join(path, "response"));
        }
        if let Some(duration) = map.get("duration") {
            let p = join(path, "duration");
            if let Some(s) = self.string(duration, &p)
                && !is_duration(s)
            {
                self.report(&p, "must be an ISO 8601 duration");
            }
        }
        if let Some(ext) = map.get("extensions") {
            self.extensions(ext, &join(path, "extensions"));
        }
    }

    fn score(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        self.only(map, path, &["scaled", "raw", "min", "max"]);
        let mut get = |key: &str| map.get(key).and_then(|n| self.number(n, &join(path, key)));
        let scaled = get("scaled");
        let raw = get("raw");
        let min = get("min");
        let max = get("max");
        if let Some(scaled) = scaled
            && !(-1.0..=1.0).contains(&scaled)
        {
            self.report(&join(path, "scaled"), "must be between -1 and 1");
        }
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.report(&join(path, "min"), "must not be greater than max");
        }
        if let Some(raw) = raw {
            if min.is_some_and(|min| raw < min) {
                self.report(&join(path, "raw"), "must not be less than min");
            }
            if max.is_some_and(|max| raw > max) {
                self.report(&join(path, "raw"), "must not be greater than max");
            }
        }
    }

    // ----- context ----------------------------------------------------------------------

    fn context(&mut self, v: &Value, path: &str, object: ObjectKind) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        let mut allowed = vec![
            "registration",
            "instructor",
            "team",
            "contextActivities",
            "revision",
            "platform",
            "language",
            "statement",
            "extensions",
        ];
        if self.version == XapiVersion::V2_0_0 {
            allowed.extend(["contextAgents", "contextGroups"]);
        }
        self.only(map, path, &allowed);
        if let Some(registration) = map.get("registration") {
            self.uuid(registration, &join(path, "registration"));
        }
        if let Some(instructor) = map.get("instructor") {
            self.actor(instructor, &join(path, "instructor"));
        }
        if let Some(team) = map.get("team") {
            self.group_value(team, &join(path, "team"));
        }
        if let Some(ca) = map.get("contextActivities") {
            self.context_activities(ca, &join(path, "contextActivities"));
        }
        for key in ["revision", "platform"] {
            if let Some(value) = map.get(key) {
                let p = join(path, key);
                self.string(value, &p);
                // Both describe the activity, so they make no sense for other objects.
                if !matches!(object, ObjectKind::Activity | ObjectKind::Unknown) {
                    self.report(
                        &p,
                        "is only allowed when the statement's object is an Activity",
                    );
                }
            }
        }
        if let Some(language) = map.get("language") {
            self.language_tag(language, &join(path, "language"));
        }
        if let Some(statement) = map.get("statement") {
            let p = join(path, "statement");
            if let Some(m) = self.object(statement, &p) {
                match self.object_type_of(m, &p) {
                    Some("StatementRef") => {}
                    Some(_) => self.report(&join(&p, "objectType"), "must be \"StatementRef\""),
                    None => self.report(
                        &join(&p, "objectType"),
                        "is required and must be \"StatementRef\"",
                    ),
                }
                self.statement_ref(m, &p);
            }
        }
        if let Some(ext) = map.get("extensions") {
            self.extensions(ext, &join(path, "extensions"));
        }
        if self.version == XapiVersion::V2_0_0 {
            if let Some(agents) = map.get("contextAgents") {
                self.context_agents(agents, &join(path, "contextAgents"));
            }
            if let Some(groups) = map.get("contextGroups") {
                self.context_groups(groups, &join(path, "contextGroups"));
            }
        }
    }

    /// A value that must be a Group (`objectType` required, since its absence means Agent).
    fn group_value(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        match self.object_type_of(map, path) {
            Some("Group") => self.group(map, path),
            Some(_) => self.report(&join(path, "objectType"), "must be \"Group\""),
            None => self.report(
                &join(path, "objectType"),
                "is required and must be \"Group\"",
            ),
        }
    }

    fn context_activities(&mut self, v: &Value, path: &str) {
        let Some(map) = self.object(v, path) else {
            return;
        };
        self.only(map, path, &["parent", "grouping", "category", "other"]);
        for key in ["parent", "grouping", "category", "other"] {
            let Some(value) = map.get(key) else {
                continue;
            };
            let p = join(path, key);
            match value {
                // A single activity is accepted for compatibility with 0.95 clients.
                Value::Object(_) => self.activity_value(value, &p),
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.activity_value(item, &index(&p, i));
                    }
                }
                other => self.wrong_type(&p, "an Activity or an array of Activities", other),
            }
        }
    }

    fn context_agents(&mut self, v: &Value, path: &str) {
        let Some(items) = self.array(v, path) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            let Some(map) = self.object(item, &p) else {
                continue;
            };
            self.only(map, &p, &["objectType", "agent", "relevantTypes"]);
            self.fixed_object_type(map, &p, "contextAgent");
            if let Some(agent) = self.required(map, "agent", &p) {
                let ap = join(&p, "agent");
                if let Some(m) = self.object(agent, &ap) {
                    match self.object_type_of(m, &ap) {
                        None | Some("Agent") => self.agent(m, &ap),
                        Some(_) => self.report(&join(&ap, "objectType"), "must be \"Agent\""),
                    }
                }
            }
            if let Some(types) = map.get("relevantTypes") {
                self.relevant_types(types, &join(&p, "relevantTypes"));
            }
        }
    }

    fn context_groups(&mut self, v: &Value, path: &str) {
        let Some(items) = self.array(v, path) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            let Some(map) = self.object(item, &p) else {
                continue;
            };
            self.only(map, &p, &["objectType", "group", "relevantTypes"]);
            self.fixed_object_type(map, &p, "contextGroup");
            if let Some(group) = self.required(map, "group", &p) {
                self.group_value(group, &join(&p, "group"));
            }
            if let Some(types) = map.get("relevantTypes") {
                self.relevant_types(types, &join(&p, "relevantTypes"));
            }
        }
    }

    fn fixed_object_type(&mut self, map: &Map<String, Value>, path: &str, expected: &str) {
        if let Some(t) = self.required(map, "objectType", path) {
            let p = join(path, "objectType");
            if let Some(s) = self.string(t, &p)
                && s != expected
            {
                self.report(&p, format!("must be \"{expected}\""));
            }
        }
    }

    fn relevant_types(&mut self, v: &Value, path: &str) {
        let Some(items) = self.array(v, path) else {
            return;
        };
        if items.is_empty() {
            self.report(path, "must not be empty");
        }
        for (i, item) in items.iter().enumerate() {
            self.iri(item, &index(path, i));
        }
    }

    // ----- attachments ------------------------------------------------------------------

    fn attachments(&mut self, v: &Value, path: &str) {
        let Some(items) = self.array(v, path) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let p = index(path, i);
            let Some(map) = self.object(item, &p) else {
                continue;
            };
            self.only(
                map,
                &p,
                &[
                    "usageType",
                    "display",
                    "description",
                    "contentType",
                    "length",
                    "sha2",
                    "fileUrl",
                ],
            );
            if let Some(usage) = self.required(map, "usageType", &p) {
                self.iri(usage, &join(&p, "usageType"));
            }
            if let Some(display) = self.required(map, "display", &p) {
                self.language_map(display, &join(&p, "display"));
            }
            if let Some(description) = map.get("description") {
                self.language_map(description, &join(&p, "description"));
            }
            if let Some(ct) = self.required(map, "contentType", &p) {
                let cp = join(&p, "contentType");
                if let Some(s) = self.string(ct, &cp)
                    && !is_media_type(s)
                {
                    self.report(&cp, "must be an Internet media type");
                }
            }
            if let Some(length) = self.required(map, "length", &p)
                && length.as_u64().is_none()
            {
                self.wrong_type(&join(&p, "length"), "a non-negative integer", length);
            }
            if let Some(sha2) = self.required(map, "sha2", &p) {
                let sp = join(&p, "sha2");
                if let Some(s) = self.string(sha2, &sp)
                    && (s.is_empty() || !s.bytes().all(|b| b.is_ascii_hexdigit()))
                {
                    self.report(&sp, "must be a SHA-2 hash in hexadecimal");
                }
            }
            if let Some(url) = map.get("fileUrl") {
                self.irl(url, &join(&p, "fileUrl"));
            }
        }
    }
}

/// Which component lists an interaction type may carry; `None` for an unknown type.
fn allowed_components(interaction_type: &str) -> Option<&'static [&'static str]> {
    match interaction_type {
        "choice" | "sequencing" => Some(&["choices"]),
        "likert" => Some(&["scale"]),
        "matching" => Some(&["source", "target"]),
        "performance" => Some(&["steps"]),
        "true-false" | "fill-in" | "long-fill-in" | "numeric" | "other" => Some(&[]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use XapiVersion::{V1_0_3, V2_0_0};
    use serde_json::json;

    /// A small valid statement that the cases below modify.
    fn base() -> Value {
        json!({
            "actor": {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"},
            "verb": {"id": "http://example.com/verbs/did", "display": {"en-US": "did"}},
            "object": {"objectType": "Activity", "id": "http://example.com/activities/a"}
        })
    }

    /// `base()` with the value at `pointer` set (intermediate objects are created); a `null`
    /// JSON pointer target of `Value::Null` is kept as an explicit null.
    fn set(mut v: Value, pointer: &str, new: Value) -> Value {
        let mut cur = &mut v;
        let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            cur = match cur {
                Value::Array(items) => {
                    let idx: usize = part.parse().unwrap();
                    if last {
                        items[idx] = new;
                        return v;
                    }
                    &mut items[idx]
                }
                Value::Object(map) => {
                    if last {
                        map.insert((*part).to_owned(), new);
                        return v;
                    }
                    map.entry((*part).to_owned()).or_insert_with(|| json!({}))
                }
                _ => panic!("cannot descend into {pointer}"),
            };
        }
        v
    }

    fn with(pointer: &str, new: Value) -> Value {
        set(base(), pointer, new)
    }

    fn without(pointer: &str) -> Value {
        let mut v = base();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut v
        } else {
            v.pointer_mut(parent).unwrap()
        };
        target.as_object_mut().unwrap().remove(key);
        v
    }

    fn problem_paths(statement: &Value, version: XapiVersion) -> Vec<String> {
        let mut paths: Vec<String> = validate_statement(statement, version, "")
            .into_iter()
            .map(|p| p.path)
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// Checks the set of problem paths under one version.
    fn check_v(input: &Value, version: XapiVersion, expected: &[&str]) {
        let mut expected: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        expected.sort();
        assert_eq!(
            problem_paths(input, version),
            expected,
            "{version:?}: {input}"
        );
    }

    /// Checks the set of problem paths under both versions.
    fn check(input: Value, expected: &[&str]) {
        check_v(&input, V1_0_3, expected);
        check_v(&input, V2_0_0, expected);
    }

    #[test]
    fn minimal_statement_is_valid() {
        check(base(), &[]);
        check(without("/actor/objectType"), &[]);
        check(without("/object/objectType"), &[]);
        check(without("/verb/display"), &[]);
    }

    #[test]
    fn prefix_and_messages() {
        let problems = validate_statement(
            &with("/result/score/scaled", json!(2)),
            V1_0_3,
            "statement[3]",
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "statement[3].result.score.scaled: must be between -1 and 1"
        );
        let problems = validate_statement(&json!([]), V1_0_3, "");
        assert_eq!(problems[0].to_string(), "must be an object, not an array");
        let problems = validate_statement(&with("/actor/name", Value::Null), V2_0_0, "");
        assert!(problems[0].message.contains("null"), "{problems:?}");
    }

    #[test]
    fn every_problem_is_reported() {
        let input = json!({
            "actor": {"mbox": "bob@example.com"},
            "verb": {"id": "not an iri"},
            "object": {"id": "http://example.com/a", "definition": {"type": 3}},
            "result": {"success": "yes", "score": {"scaled": -2}},
            "timestamp": "yesterday",
            "Extra": 1
        });
        check(
            input,
            &[
                "Extra",
                "actor.mbox",
                "object.definition.type",
                "result.score.scaled",
                "result.success",
                "timestamp",
                "verb.id",
            ],
        );
    }

    #[test]
    fn required_and_unknown_top_level() {
        check(without("/actor"), &["actor"]);
        check(without("/verb"), &["verb"]);
        check(without("/object"), &["object"]);
        check(json!({}), &["actor", "object", "verb"]);
        check(with("/foo", json!("bar")), &["foo"]);
        check(with("/Actor", json!({"mbox": "mailto:a@b.c"})), &["Actor"]);
        check(with("/objectType", json!("Statement")), &["objectType"]);
        check(with("/actor", Value::Null), &["actor"]);
    }

    #[test]
    fn statement_id() {
        check(
            with("/id", json!("6690e6c9-3ef0-4ed3-8b37-7f3964730bee")),
            &[],
        );
        check(
            with("/id", json!("6690E6C9-3EF0-4ED3-8B37-7F3964730BEE")),
            &[],
        );
        // Any variant/version digit is accepted.
        check(
            with("/id", json!("00000000-0000-0000-0000-000000000000")),
            &[],
        );
        for bad in [
            json!("AA97B177-9383-4934-8543-0F91A7A028368"),
            json!("MA97B177-9383-4934-8543-0F91A7A02836"),
            json!("6690e6c93ef04ed38b377f3964730bee"),
            json!("{6690e6c9-3ef0-4ed3-8b37-7f3964730bee}"),
            json!(""),
            json!(12345),
            json!({"key": "value"}),
            Value::Null,
        ] {
            check(with("/id", bad), &["id"]);
        }
    }

    #[test]
    fn agents() {
        let agent = |a: Value| with("/actor", a);
        check(agent(json!({"mbox": "mailto:a@b.c"})), &[]);
        check(
            agent(json!({"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"})),
            &[],
        );
        check(
            agent(json!({"mbox_sha1sum": "CD9B00A5611F94EAA7B1661EDAB976068E364975"})),
            &[],
        );
        check(
            agent(json!({"openid": "http://openid.example.org/12345"})),
            &[],
        );
        check(
            agent(json!({"account": {"homePage": "http://example.com", "name": "x"}})),
            &[],
        );
        check(
            agent(json!({"objectType": "Agent", "name": "A", "mbox": "mailto:a@b.c"})),
            &[],
        );
        // IFI multiplicity.
        check(agent(json!({"name": "no ifi"})), &["actor"]);
        check(
            agent(json!({"mbox": "mailto:a@b.c", "openid": "http://o.example"})),
            &["actor"],
        );
        check(
            agent(
                json!({"mbox": "mailto:a@b.c", "account": {"homePage": "http://e.com", "name": "n"}}),
            ),
            &["actor"],
        );
        // IFI formats.
        for mbox in [
            json!("http://should.fail.com"),
            json!("mailto:should.fail.com"),
            json!("a@b.c"),
            json!(""),
            json!("mailto:"),
            json!(1),
        ] {
            check(agent(json!({"mbox": mbox})), &["actor.mbox"]);
        }
        for sha in [
            json!("abc"),
            json!({"key": "value"}),
            json!("zz9b00a5611f94eaa7b1661edab976068e364975"),
        ] {
            check(agent(json!({"mbox_sha1sum": sha})), &["actor.mbox_sha1sum"]);
        }
        check(
            agent(json!({"openid": "ab=c://should.fail.com"})),
            &["actor.openid"],
        );
        check(
            agent(json!({"openid": "openid.example.org"})),
            &["actor.openid"],
        );
        // Accounts.
        check(
            agent(json!({"account": {"name": "x"}})),
            &["actor.account.homePage"],
        );
        check(
            agent(json!({"account": {"homePage": "http://e.com"}})),
            &["actor.account.name"],
        );
        check(
            agent(json!({"account": {"homePage": "ab=c://should.fail.com", "name": "x"}})),
            &["actor.account.homePage"],
        );
        check(
            agent(json!({"account": {"homePage": "homePage.com/testUser", "name": "x"}})),
            &["actor.account.homePage"],
        );
        check(
            agent(json!({"account": {"homePage": "http://e.com", "name": {"k": "v"}}})),
            &["actor.account.name"],
        );
        check(
            agent(json!({"account": {"homePage": "http://e.com", "name": "x", "extra": 1}})),
            &["actor.account.extra"],
        );
        check(
            agent(json!({"account": "http://e.com/x"})),
            &["actor.account"],
        );
        // Types and unknown properties.
        check(
            agent(json!({"mbox": "mailto:a@b.c", "name": 123})),
            &["actor.name"],
        );
        check(
            agent(json!({"mbox": "mailto:a@b.c", "name": {"k": "v"}})),
            &["actor.name"],
        );
        check(
            agent(json!({"mbox": "mailto:a@b.c", "objectType": 123})),
            &["actor.objectType"],
        );
        check(
            agent(json!({"mbox": "mailto:a@b.c", "objectType": "agent"})),
            &["actor.objectType"],
        );
        check(
            agent(json!({"mbox": "mailto:a@b.c", "objectType": "Activity"})),
            &["actor.objectType"],
        );
        check(
            agent(json!({"mbox": "mailto:a@b.c", "member": []})),
            &["actor.member"],
        );
        check(
            agent(json!({"mbox": "mailto:a@b.c", "Name": "x"})),
            &["actor.Name"],
        );
        check(agent(json!("mailto:a@b.c")), &["actor"]);
    }

    #[test]
    fn groups() {
        let group = |g: Value| with("/actor", g);
        let member = json!({"objectType": "Agent", "mbox": "mailto:m@b.c"});
        check(
            group(json!({"objectType": "Group", "member": [member.clone()]})),
            &[],
        );
        check(
            group(json!({"objectType": "Group", "member": [{"mbox": "mailto:m@b.c"}]})),
            &[],
        );
        check(
            group(json!({"objectType": "Group", "name": "G", "mbox": "mailto:g@b.c"})),
            &[],
        );
        check(
            group(
                json!({"objectType": "Group", "mbox": "mailto:g@b.c", "member": [member.clone()]}),
            ),
            &[],
        );
        check(
            group(json!({"objectType": "Group", "openid": "http://o.example/g", "member": []})),
            &[],
        );
        // Anonymous groups need members.
        check(
            group(json!({"objectType": "Group", "name": "G"})),
            &["actor.member"],
        );
        check(
            group(json!({"objectType": "Group", "member": member.clone()})),
            &["actor.member"],
        );
        // Identified groups: one IFI.
        check(
            group(
                json!({"objectType": "Group", "mbox": "mailto:g@b.c", "openid": "http://o.example"}),
            ),
            &["actor"],
        );
        check(
            group(json!({"objectType": "Group", "mbox": "g@b.c", "member": [member.clone()]})),
            &["actor.mbox"],
        );
        // Members are Agents only.
        check(
            group(
                json!({"objectType": "Group", "member": [{"objectType": "Group", "member": [member.clone()]}]}),
            ),
            &["actor.member[0].objectType"],
        );
        check(
            group(json!({"objectType": "Group", "member": [{"name": "no ifi"}]})),
            &["actor.member[0]"],
        );
        check(
            group(json!({"objectType": "Group", "member": [{"mbox": "bad"}]})),
            &["actor.member[0].mbox"],
        );
        check(
            group(json!({"objectType": "Group", "member": ["x"]})),
            &["actor.member[0]"],
        );
        check(
            group(json!({"objectType": "Group", "member": [member], "extra": true})),
            &["actor.extra"],
        );
    }

    #[test]
    fn verbs() {
        check(
            with(
                "/verb",
                json!({"id": "http://adlnet.gov/expapi/verbs/attended"}),
            ),
            &[],
        );
        check(with("/verb", json!({"display": {"en": "x"}})), &["verb.id"]);
        check(
            with("/verb/id", json!("adlnet.gov/expapi/verbs/attended")),
            &["verb.id"],
        );
        check(with("/verb/id", json!("")), &["verb.id"]);
        check(with("/verb/id", json!(5)), &["verb.id"]);
        check(with("/verb/display", json!("did")), &["verb.display"]);
        check(
            with("/verb/display", json!({"a12345678": "x"})),
            &["verb.display.a12345678"],
        );
        check(
            with("/verb/display", json!({"en-US": 1})),
            &["verb.display.en-US"],
        );
        check(
            with("/verb/display", json!({"en-US": null})),
            &["verb.display.en-US"],
        );
        check(
            with("/verb/description", json!({"en-US": "x"})),
            &["verb.description"],
        );
        check(with("/verb", json!("http://example.com/v")), &["verb"]);
    }

    #[test]
    fn voiding() {
        let voided = with("/verb/id", json!(VOIDED_VERB));
        check(voided.clone(), &["object"]);
        check(
            set(
                voided,
                "/object",
                json!({"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
            ),
            &[],
        );
    }

    #[test]
    fn activities() {
        check(without("/object/id"), &["object.id"]);
        check(
            with("/object/id", json!("www.example.com/a")),
            &["object.id"],
        );
        check(
            with("/object/id", json!("http://example.com/a b")),
            &["object.id"],
        );
        check(
            with("/object/objectType", json!("activity")),
            &["object.objectType"],
        );
        check(
            with("/object/objectType", json!("Person")),
            &["object.objectType"],
        );
        check(with("/object/extra", json!(1)), &["object.extra"]);
        check(
            with("/object/definition", json!("x")),
            &["object.definition"],
        );
        check(with("/object/definition", json!({})), &[]);
        let def = |key: &str, v: Value| with(&format!("/object/definition/{key}"), v);
        check(
            def("name", json!({"en-US": "A", "fr": "B", "zh-Hant-TW": "C"})),
            &[],
        );
        check(
            def("name", json!({"a12345678": "x"})),
            &["object.definition.name.a12345678"],
        );
        check(def("name", json!("A")), &["object.definition.name"]);
        check(
            def("description", json!(12345)),
            &["object.definition.description"],
        );
        check(
            def("type", json!("http://adlnet.gov/expapi/activities/meeting")),
            &[],
        );
        check(def("type", json!("meeting")), &["object.definition.type"]);
        check(def("moreInfo", json!("http://example.com/more")), &[]);
        check(
            def("moreInfo", json!("example.com/more")),
            &["object.definition.moreInfo"],
        );
        check(
            def(
                "extensions",
                json!({"http://example.com/ext": {"any": ["thing"]}}),
            ),
            &[],
        );
        check(
            def("extensions", json!({"http://example.com/ext": null})),
            &[],
        );
        check(
            def("extensions", json!({"not.valid.com/extension": 1})),
            &["object.definition.extensions.not.valid.com/extension"],
        );
        check(
            def("extensions", json!("x")),
            &["object.definition.extensions"],
        );
        check(def("Name", json!({"en": "x"})), &["object.definition.Name"]);
    }

    #[test]
    fn interactions() {
        let activity = |definition: Value| with("/object/definition", definition);
        let comps = json!([{"id": "a", "description": {"en-US": "A"}}, {"id": "b"}]);
        for (ty, lists) in [
            ("choice", vec!["choices"]),
            ("sequencing", vec!["choices"]),
            ("likert", vec!["scale"]),
            ("matching", vec!["source", "target"]),
            ("performance", vec!["steps"]),
            ("true-false", vec![]),
            ("fill-in", vec![]),
            ("long-fill-in", vec![]),
            ("numeric", vec![]),
            ("other", vec![]),
        ] {
            let mut d = json!({"interactionType": ty, "correctResponsesPattern": ["a"]});
            for list in &lists {
                d[*list] = comps.clone();
            }
            check(activity(d.clone()), &[]);
            // A list belonging to another interaction type.
            let foreign = if lists.contains(&"choices") {
                "steps"
            } else {
                "choices"
            };
            d[foreign] = comps.clone();
            let path = format!("object.definition.{foreign}");
            check(activity(d), &[path.as_str()]);
        }
        check(
            activity(json!({"interactionType": "Choice"})),
            &["object.definition.interactionType"],
        );
        check(
            activity(json!({"interactionType": "http://example.com/choice"})),
            &["object.definition.interactionType"],
        );
        check(
            activity(json!({"interactionType": 1})),
            &["object.definition.interactionType"],
        );
        check(
            activity(json!({"interactionType": {"k": "v"}})),
            &["object.definition.interactionType"],
        );
        check(
            activity(json!({"correctResponsesPattern": ["a"]})),
            &["object.definition.correctResponsesPattern"],
        );
        check(
            activity(json!({"choices": comps.clone()})),
            &["object.definition.choices"],
        );
        check(
            activity(json!({"interactionType": "fill-in", "correctResponsesPattern": "a"})),
            &["object.definition.correctResponsesPattern"],
        );
        check(
            activity(json!({"interactionType": "fill-in", "correctResponsesPattern": [1]})),
            &["object.definition.correctResponsesPattern[0]"],
        );
        check(
            activity(json!({"interactionType": "fill-in", "correctResponsesPattern": []})),
            &[],
        );
        let choice = |c: Value| activity(json!({"interactionType": "choice", "choices": c}));
        check(
            choice(json!([{"description": {"en": "x"}}])),
            &["object.definition.choices[0].id"],
        );
        check(
            choice(json!([{"id": 1}])),
            &["object.definition.choices[0].id"],
        );
        check(
            choice(json!([{"id": "a"}, {"id": "a"}])),
            &["object.definition.choices[1].id"],
        );
        check(
            choice(json!([{"id": "a", "description": "x"}])),
            &["object.definition.choices[0].description"],
        );
        check(
            choice(json!([{"id": "a", "extra": 1}])),
            &["object.definition.choices[0].extra"],
        );
        check(choice(json!({"id": "a"})), &["object.definition.choices"]);
        check(choice(json!(["a"])), &["object.definition.choices[0]"]);
    }

    #[test]
    fn agent_and_group_objects() {
        check(
            with(
                "/object",
                json!({"objectType": "Agent", "mbox": "mailto:o@b.c"}),
            ),
            &[],
        );
        check(
            with(
                "/object",
                json!({"objectType": "Group", "member": [{"mbox": "mailto:o@b.c"}]}),
            ),
            &[],
        );
        // Without objectType the object is an Activity, which an Agent is not.
        check(
            with("/object", json!({"mbox": "mailto:o@b.c"})),
            &["object.id", "object.mbox"],
        );
        check(
            with("/object", json!({"objectType": "Agent", "name": "x"})),
            &["object"],
        );
    }

    #[test]
    fn statement_refs() {
        let sref = |v: Value| with("/object", v);
        check(
            sref(
                json!({"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
            ),
            &[],
        );
        check(sref(json!({"objectType": "StatementRef"})), &["object.id"]);
        check(
            sref(json!({"objectType": "StatementRef", "id": "x"})),
            &["object.id"],
        );
        check(
            sref(json!({"objectType": "StatementRef", "id": 1})),
            &["object.id"],
        );
        check(
            sref(
                json!({"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee", "definition": {}}),
            ),
            &["object.definition"],
        );
        check(
            sref(
                json!({"objectType": "statementref", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
            ),
            &["object.objectType"],
        );
    }

    fn sub() -> Value {
        json!({
            "objectType": "SubStatement",
            "actor": {"mbox": "mailto:s@b.c"},
            "verb": {"id": "http://example.com/verbs/will"},
            "object": {"id": "http://example.com/activities/s"}
        })
    }

    #[test]
    fn sub_statements() {
        let with_sub = |pointer: &str, v: Value| with("/object", set(sub(), pointer, v));
        check(with("/object", sub()), &[]);
        check(with_sub("/timestamp", json!("2024-01-01T00:00:00Z")), &[]);
        check(with_sub("/result", json!({"success": true})), &[]);
        check(
            with_sub(
                "/context",
                json!({"registration": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
            ),
            &[],
        );
        check(
            with_sub(
                "/object",
                json!({"objectType": "Agent", "mbox": "mailto:x@b.c"}),
            ),
            &[],
        );
        for key in ["id", "stored", "version", "authority"] {
            let value = match key {
                "id" => json!("6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),
                "stored" => json!("2024-01-01T00:00:00Z"),
                "version" => json!("1.0.0"),
                _ => json!({"mbox": "mailto:a@b.c"}),
            };
            let path = format!("object.{key}");
            check(with_sub(&format!("/{key}"), value), &[path.as_str()]);
        }
        check(with_sub("/object", sub()), &["object.object.objectType"]);
        check(
            with_sub("/actor", json!({"mbox": "bad"})),
            &["object.actor.mbox"],
        );
        check(with_sub("/verb", json!({})), &["object.verb.id"]);
        check(
            with_sub("/result/score/scaled", json!(5)),
            &["object.result.score.scaled"],
        );
        check(
            with_sub("/timestamp", json!("2008-09-15T15:53:00.601-00:00")),
            &["object.timestamp"],
        );
        check(with_sub("/extra", json!(1)), &["object.extra"]);
        let mut missing = sub();
        missing.as_object_mut().unwrap().remove("actor");
        check(with("/object", missing), &["object.actor"]);
        // Revision is tied to the sub-statement's own object.
        check(with_sub("/context", json!({"revision": "1"})), &[]);
        check(
            set(
                with_sub(
                    "/object",
                    json!({"objectType": "Agent", "mbox": "mailto:x@b.c"}),
                ),
                "/object/context",
                json!({"platform": "p"}),
            ),
            &["object.context.platform"],
        );
    }

    #[test]
    fn results() {
        let result = |v: Value| with("/result", v);
        check(
            result(
                json!({"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": true, "completion": false,
                          "response": "x", "duration": "PT1H", "extensions": {"http://e.com/x": 1}}),
            ),
            &[],
        );
        check(result(json!({})), &[]);
        check(result(json!("x")), &["result"]);
        check(result(json!({"success": "true"})), &["result.success"]);
        check(result(json!({"completion": 1})), &["result.completion"]);
        check(result(json!({"response": 1})), &["result.response"]);
        check(
            result(json!({"response": {"k": "v"}})),
            &["result.response"],
        );
        check(
            result(json!({"duration": "PA1H0M0S"})),
            &["result.duration"],
        );
        check(result(json!({"duration": 12345})), &["result.duration"]);
        check(result(json!({"duration": "P4W1D"})), &["result.duration"]);
        check(result(json!({"duration": "P1DT12H36M0.12567S"})), &[]);
        check(result(json!({"extensions": "x"})), &["result.extensions"]);
        check(
            result(json!({"extensions": {"bad key": 1}})),
            &["result.extensions.bad key"],
        );
        check(result(json!({"Success": true})), &["result.Success"]);
    }

    #[test]
    fn scores() {
        let score = |v: Value| with("/result/score", v);
        check(score(json!({"scaled": 1})), &[]);
        check(score(json!({"scaled": -1.0})), &[]);
        check(score(json!({"scaled": 0.6767676})), &[]);
        check(score(json!({"raw": -1000})), &[]);
        check(score(json!({"min": 5, "max": 5, "raw": 5})), &[]);
        check(
            score(json!({"min": 0.6767676, "max": 100.6767676, "raw": 50})),
            &[],
        );
        check(score(json!({"scaled": 1.01})), &["result.score.scaled"]);
        check(score(json!({"scaled": -1.00001})), &["result.score.scaled"]);
        check(
            score(json!({"min": 104.6, "max": 100.6, "raw": 101.6})),
            &["result.score.min", "result.score.raw"],
        );
        check(
            score(json!({"min": 104.6, "max": 100.6})),
            &["result.score.min"],
        );
        check(
            score(json!({"min": 0, "max": 0.65, "raw": 0.67})),
            &["result.score.raw"],
        );
        check(
            score(json!({"min": 1.4, "raw": 0.6})),
            &["result.score.raw"],
        );
        check(score(json!({"max": "100"})), &["result.score.max"]);
        check(score(json!({"max": "one hundred"})), &["result.score.max"]);
        check(score(json!({"raw": null})), &["result.score.raw"]);
        check(score(json!({"percent": 5})), &["result.score.percent"]);
        check(score(json!(12345)), &["result.score"]);
        check(score(json!("x")), &["result.score"]);
    }

    #[test]
    fn contexts() {
        let ctx = |v: Value| with("/context", v);
        check(
            ctx(json!({
                "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                "instructor": {"mbox": "mailto:i@b.c"},
                "team": {"objectType": "Group", "member": [{"mbox": "mailto:t@b.c"}]},
                "contextActivities": {"parent": {"id": "http://e.com/p"}, "grouping": [{"id": "http://e.com/g"}],
                                      "category": [], "other": [{"objectType": "Activity", "id": "http://e.com/o"}]},
                "revision": "r1", "platform": "p", "language": "tlh",
                "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
                "extensions": {"http://e.com/x": null}
            })),
            &[],
        );
        check(ctx(json!("x")), &["context"]);
        check(ctx(json!({"registration": "x"})), &["context.registration"]);
        check(
            ctx(json!({"registration": 12345})),
            &["context.registration"],
        );
        check(
            ctx(json!({"registration": null})),
            &["context.registration"],
        );
        check(
            ctx(json!({"instructor": {"mbox": "x"}})),
            &["context.instructor.mbox"],
        );
        check(
            ctx(
                json!({"instructor": {"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}}),
            ),
            &[],
        );
        check(
            ctx(json!({"team": {"mbox": "mailto:t@b.c"}})),
            &["context.team.objectType"],
        );
        check(
            ctx(json!({"team": {"objectType": "Agent", "mbox": "mailto:t@b.c"}})),
            &["context.team.objectType"],
        );
        check(
            ctx(json!({"team": {"objectType": "Group", "name": "no members"}})),
            &["context.team.member"],
        );
        check(
            ctx(json!({"contextActivities": "x"})),
            &["context.contextActivities"],
        );
        check(
            ctx(json!({"contextActivities": {"parent": "http://e.com/p"}})),
            &["context.contextActivities.parent"],
        );
        check(
            ctx(json!({"contextActivities": {"parent": [{"id": "bad"}]}})),
            &["context.contextActivities.parent[0].id"],
        );
        check(
            ctx(
                json!({"contextActivities": {"parent": {"objectType": "Agent", "id": "http://e.com/p"}}}),
            ),
            &["context.contextActivities.parent.objectType"],
        );
        check(
            ctx(json!({"contextActivities": {"sibling": []}})),
            &["context.contextActivities.sibling"],
        );
        check(ctx(json!({"revision": 1})), &["context.revision"]);
        check(ctx(json!({"platform": {"k": "v"}})), &["context.platform"]);
        check(ctx(json!({"language": "a12345678"})), &["context.language"]);
        check(ctx(json!({"language": 1})), &["context.language"]);
        check(
            ctx(json!({"statement": {"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}})),
            &["context.statement.objectType"],
        );
        check(
            ctx(json!({"statement": {"objectType": "StatementRef", "id": "x"}})),
            &["context.statement.id"],
        );
        check(
            ctx(json!({"statement": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"})),
            &["context.statement"],
        );
        check(
            ctx(json!({"extensions": {"x": 1}})),
            &["context.extensions.x"],
        );
        check(ctx(json!({"Registration": "x"})), &["context.Registration"]);
    }

    #[test]
    fn revision_and_platform_need_an_activity() {
        let agent_object = json!({"objectType": "Agent", "mbox": "mailto:o@b.c"});
        for key in ["revision", "platform"] {
            let input = set(
                with("/object", agent_object.clone()),
                &format!("/context/{key}"),
                json!("x"),
            );
            let path = format!("context.{key}");
            check(input, &[path.as_str()]);
            let input = set(
                with(
                    "/object",
                    json!({"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
                ),
                &format!("/context/{key}"),
                json!("x"),
            );
            check(input, &[path.as_str()]);
            check(
                set(
                    with("/object", sub()),
                    &format!("/context/{key}"),
                    json!("x"),
                ),
                &[path.as_str()],
            );
            check(with(&format!("/context/{key}"), json!("x")), &[]);
        }
    }

    #[test]
    fn context_agents_and_groups_are_2_0_only() {
        let agents = with(
            "/context/contextAgents",
            json!([{"objectType": "contextAgent", "agent": {"objectType": "Agent", "mbox": "mailto:p@b.c"},
                    "relevantTypes": ["http://e.com/types/player"]}]),
        );
        check_v(&agents, V2_0_0, &[]);
        check_v(&agents, V1_0_3, &["context.contextAgents"]);
        let groups = with(
            "/context/contextGroups",
            json!([{"objectType": "contextGroup", "group": {"objectType": "Group", "mbox": "mailto:t@b.c"},
                    "relevantTypes": ["http://e.com/types/team"]}]),
        );
        check_v(&groups, V2_0_0, &[]);
        check_v(&groups, V1_0_3, &["context.contextGroups"]);
    }

    #[test]
    fn context_agents() {
        let ca = |v: Value| with("/context/contextAgents", v);
        let agent = json!({"mbox": "mailto:p@b.c"});
        check_v(
            &ca(json!([{"objectType": "contextAgent", "agent": agent.clone()}])),
            V2_0_0,
            &[],
        );
        check_v(&ca(json!([])), V2_0_0, &[]);
        check_v(
            &ca(json!({"objectType": "contextAgent", "agent": agent.clone()})),
            V2_0_0,
            &["context.contextAgents"],
        );
        check_v(
            &ca(json!([{"agent": agent.clone()}])),
            V2_0_0,
            &["context.contextAgents[0].objectType"],
        );
        check_v(
            &ca(json!([{"objectType": "Should fail", "agent": agent.clone()}])),
            V2_0_0,
            &["context.contextAgents[0].objectType"],
        );
        check_v(
            &ca(json!([{"objectType": "contextAgent"}])),
            V2_0_0,
            &["context.contextAgents[0].agent"],
        );
        check_v(
            &ca(json!([{"objectType": "contextAgent", "agent": {"key": "Should fail"}}])),
            V2_0_0,
            &[
                "context.contextAgents[0].agent",
                "context.contextAgents[0].agent.key",
            ],
        );
        check_v(
            &ca(
                json!([{"objectType": "contextAgent", "agent": {"objectType": "Group", "member": [agent.clone()]}}]),
            ),
            V2_0_0,
            &["context.contextAgents[0].agent.objectType"],
        );
        check_v(
            &ca(
                json!([{"objectType": "contextAgent", "agent": agent.clone(), "relevantTypes": []}]),
            ),
            V2_0_0,
            &["context.contextAgents[0].relevantTypes"],
        );
        check_v(
            &ca(
                json!([{"objectType": "contextAgent", "agent": agent.clone(), "relevantTypes": ["abc"]}]),
            ),
            V2_0_0,
            &["context.contextAgents[0].relevantTypes[0]"],
        );
        check_v(
            &ca(
                json!([{"objectType": "contextAgent", "agent": agent.clone(), "relevantTypes": "http://e.com"}]),
            ),
            V2_0_0,
            &["context.contextAgents[0].relevantTypes"],
        );
        check_v(
            &ca(json!([{"objectType": "contextAgent", "agent": agent, "extra": 1}])),
            V2_0_0,
            &["context.contextAgents[0].extra"],
        );
    }

    #[test]
    fn context_groups() {
        let cg = |v: Value| with("/context/contextGroups", v);
        let group = json!({"objectType": "Group", "mbox": "mailto:t@b.c"});
        check_v(
            &cg(json!([{"objectType": "contextGroup", "group": group.clone()}])),
            V2_0_0,
            &[],
        );
        check_v(
            &cg(json!([{"objectType": "contextAgent", "group": group.clone()}])),
            V2_0_0,
            &["context.contextGroups[0].objectType"],
        );
        check_v(
            &cg(json!([{"objectType": "contextGroup", "group": {"key": "Should fail"}}])),
            V2_0_0,
            &["context.contextGroups[0].group.objectType"],
        );
        check_v(
            &cg(json!([{"objectType": "contextGroup", "group": {"mbox": "mailto:t@b.c"}}])),
            V2_0_0,
            &["context.contextGroups[0].group.objectType"],
        );
        check_v(
            &cg(
                json!([{"objectType": "contextGroup", "group": group.clone(), "relevantTypes": []}]),
            ),
            V2_0_0,
            &["context.contextGroups[0].relevantTypes"],
        );
        check_v(
            &cg(json!([{"objectType": "contextGroup", "group": group, "relevantTypes": ["abc"]}])),
            V2_0_0,
            &["context.contextGroups[0].relevantTypes[0]"],
        );
        check_v(
            &cg(json!([{"objectType": "contextGroup"}])),
            V2_0_0,
            &["context.contextGroups[0].group"],
        );
    }

    #[test]
    fn timestamps_and_stored() {
        check(
            with("/timestamp", json!("2013-05-18T05:32:34.804+00:00")),
            &[],
        );
        check(with("/timestamp", json!("2031-11-23T10:03:19.403Z")), &[]);
        check(with("/stored", json!("2013-05-18T05:32:34.804Z")), &[]);
        for bad in [
            json!("should fail"),
            json!("01/011/2015"),
            json!("2008-09-15T15:53:00.601-00:00"),
            json!("2008-09-15T15:53:00.601-0000"),
            json!("2008-09-15T15:53:00.601-00"),
            json!(1),
            json!("2013-05-18T05:32:34"),
        ] {
            check(with("/timestamp", bad.clone()), &["timestamp"]);
            check(with("/stored", bad), &["stored"]);
        }
        // ISO 8601 forms outside RFC 3339 are 1.0.3-only.
        let basic = with("/timestamp", json!("20130518T053234Z"));
        check_v(&basic, V1_0_3, &[]);
        check_v(&basic, V2_0_0, &["timestamp"]);
    }

    #[test]
    fn versions() {
        for ok in ["1.0", "1.0.0", "1.0.3", "1.0.9"] {
            check(with("/version", json!(ok)), &[]);
        }
        for bad in [
            json!("should fail"),
            json!("0.9.9"),
            json!("1.1.0"),
            json!("1.0.x"),
            json!(1.0),
            json!(""),
        ] {
            check(with("/version", bad), &["version"]);
        }
        let two = with("/version", json!("2.0.0"));
        check_v(&two, V2_0_0, &[]);
        check_v(&two, V1_0_3, &["version"]);
        check_v(&with("/version", json!("2.0")), V2_0_0, &[]);
        check_v(&with("/version", json!("2.1.0")), V2_0_0, &["version"]);
    }

    #[test]
    fn authority() {
        let auth = |v: Value| with("/authority", v);
        let app = json!({"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "oauth_consumer_x75db"}});
        let user = json!({"mbox": "mailto:bob@example.com"});
        check(
            auth(json!({"objectType": "Agent", "mbox": "mailto:lrs@example.com"})),
            &[],
        );
        check(
            auth(json!({"account": {"homePage": "http://e.com", "name": "n"}})),
            &[],
        );
        check(
            auth(json!({"objectType": "Group", "member": [app.clone(), user.clone()]})),
            &[],
        );
        check(
            auth(json!({"objectType": "Group", "member": [user.clone()]})),
            &["authority.member"],
        );
        check(
            auth(
                json!({"objectType": "Group", "member": [app.clone(), user.clone(), {"mbox": "mailto:j@e.com"}]}),
            ),
            &["authority.member"],
        );
        check(
            auth(json!({"objectType": "Group", "name": "anonymous"})),
            &["authority.member"],
        );
        check(
            auth(
                json!({"objectType": "Group", "mbox": "mailto:g@e.com", "member": [app.clone(), user.clone()]}),
            ),
            &["authority"],
        );
        check(
            auth(
                json!({"objectType": "Group", "openid": "http://o.example/g", "member": [app, user]}),
            ),
            &["authority"],
        );
        check(
            auth(json!({"mbox": "http://should.fail.com"})),
            &["authority.mbox"],
        );
        check(
            auth(json!({"objectType": 123, "mbox": "mailto:a@b.c"})),
            &["authority.objectType"],
        );
        check(
            auth(json!({"objectType": "Activity", "mbox": "mailto:a@b.c"})),
            &["authority.objectType"],
        );
    }

    #[test]
    fn attachments() {
        let good = json!({
            "usageType": "http://example.com/attachment-usage/test",
            "display": {"en-US": "A test attachment"},
            "description": {"en-US": "desc"},
            "contentType": "text/plain; charset=ascii",
            "length": 27,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
            "fileUrl": "http://over.there.com/file.txt"
        });
        let att =
            |pointer: &str, v: Value| with("/attachments", json!([set(good.clone(), pointer, v)]));
        check(with("/attachments", json!([good.clone()])), &[]);
        check(with("/attachments", json!([])), &[]);
        check(with("/attachments", good.clone()), &["attachments"]);
        check(with("/attachments", json!([12345])), &["attachments[0]"]);
        check(
            with("/attachments", json!(["should fail"])),
            &["attachments[0]"],
        );
        check(
            att("/usageType", json!("should fail")),
            &["attachments[0].usageType"],
        );
        check(att("/display", json!("x")), &["attachments[0].display"]);
        check(
            att("/display", json!({"a12345678": "x"})),
            &["attachments[0].display.a12345678"],
        );
        check(
            att("/description", json!(12345)),
            &["attachments[0].description"],
        );
        check(
            att("/contentType", json!(12345)),
            &["attachments[0].contentType"],
        );
        check(
            att("/contentType", json!("text")),
            &["attachments[0].contentType"],
        );
        check(att("/contentType", json!("application/octet-stream")), &[]);
        check(
            att("/length", json!("should fail")),
            &["attachments[0].length"],
        );
        check(att("/length", json!(-1)), &["attachments[0].length"]);
        check(att("/length", json!(1.5)), &["attachments[0].length"]);
        check(att("/sha2", json!(12345)), &["attachments[0].sha2"]);
        check(att("/sha2", json!("not hex")), &["attachments[0].sha2"]);
        check(
            att("/fileUrl", json!("should fail")),
            &["attachments[0].fileUrl"],
        );
        check(att("/extra", json!(1)), &["attachments[0].extra"]);
        let mut missing = good.clone();
        for key in ["usageType", "display", "contentType", "length", "sha2"] {
            missing.as_object_mut().unwrap().remove(key);
        }
        check(
            with("/attachments", json!([missing])),
            &[
                "attachments[0].contentType",
                "attachments[0].display",
                "attachments[0].length",
                "attachments[0].sha2",
                "attachments[0].usageType",
            ],
        );
    }

    #[test]
    fn agent_param() {
        let check_param = |agent: Value, allow_group: bool, expected: &[&str]| {
            let mut paths: Vec<String> = validate_agent_param(&agent, V1_0_3, allow_group)
                .into_iter()
                .map(|p| p.path)
                .collect();
            paths.sort();
            assert_eq!(paths, expected, "{agent} allow_group={allow_group}");
        };
        check_param(json!({"mbox": "mailto:a@b.c"}), false, &[]);
        check_param(
            json!({"objectType": "Agent", "account": {"homePage": "http://e.com", "name": "n"}}),
            false,
            &[],
        );
        check_param(
            json!({"objectType": "Group", "mbox": "mailto:g@b.c"}),
            true,
            &[],
        );
        check_param(
            json!({"objectType": "Group", "mbox": "mailto:g@b.c"}),
            false,
            &["objectType"],
        );
        check_param(
            json!({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]}),
            true,
            &[""],
        );
        check_param(json!({"name": "no ifi"}), false, &[""]);
        check_param(json!({"mbox": "a@b.c"}), false, &["mbox"]);
        check_param(
            json!({"objectType": "Person", "mbox": "mailto:a@b.c"}),
            false,
            &["objectType"],
        );
        check_param(
            json!({"objectType": 1, "mbox": "mailto:a@b.c"}),
            false,
            &["objectType"],
        );
        check_param(json!("wrong"), false, &[""]);
        check_param(json!({"mbox": "mailto:a@b.c", "x": 1}), false, &["x"]);
    }

    fn check_bool(f: fn(&str) -> bool, input: &str, expected: bool) {
        assert_eq!(f(input), expected, "{input:?}");
    }

    #[test]
    fn iris() {
        for ok in [
            "http://example.com",
            "https://example.com/path?q=1#frag",
            "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            "mailto:a@b.c",
            "tag:example.com,2024:x",
            "http://例え.テスト/パス",
            "http://example.com/%20",
            "x-custom+scheme.v1:thing",
        ] {
            check_bool(is_iri, ok, true);
        }
        for bad in [
            "",
            "example.com",
            "not.a.valid.iri.com/verb",
            "ab=c://should.fail.com",
            "1http://example.com",
            ":nothing",
            "http:",
            "http://example.com/a b",
            "http://example.com/<x>",
            "http://example.com/%zz",
            "http://example.com/%2",
            "should fail",
        ] {
            check_bool(is_iri, bad, false);
        }
    }

    #[test]
    fn language_tags() {
        for ok in [
            "en",
            "en-US",
            "EN-us",
            "zh-Hant-TW",
            "tlh",
            "sgn-BE-FR",
            "i-klingon",
            "x-private",
            "de-CH-1901",
            "es-419",
            "sl-rozaj-biske",
            "en-a-bbb-x-a-ccc",
            "zh-yue-HK",
            "und",
            "qaa-Qaaa-QM-x-southern",
            "en-GB-oed",
        ] {
            check_bool(is_language_tag, ok, true);
        }
        for bad in [
            "",
            "a12345678",
            "e",
            "en-",
            "-en",
            "en--US",
            "en_US",
            "123",
            "en-US-x",
            "en-a",
            "toolongtag",
            "en-US-a-",
            "a1",
            "x-123456789",
        ] {
            check_bool(is_language_tag, bad, false);
        }
    }

    #[test]
    fn uuids() {
        check_bool(is_uuid, "6690e6c9-3ef0-4ed3-8b37-7f3964730bee", true);
        check_bool(is_uuid, "6690E6C9-3EF0-4ED3-8B37-7F3964730BEE", true);
        check_bool(is_uuid, "6690e6c9-3ef0-4ed3-8b37-7f3964730be", false);
        check_bool(is_uuid, "6690e6c9-3ef0-4ed3-8b37-7f3964730beee", false);
        check_bool(is_uuid, "6690e6c93-ef0-4ed3-8b37-7f3964730bee", false);
        check_bool(is_uuid, "g690e6c9-3ef0-4ed3-8b37-7f3964730bee", false);
        check_bool(
            is_uuid,
            "urn:uuid:6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
            false,
        );
    }
}
