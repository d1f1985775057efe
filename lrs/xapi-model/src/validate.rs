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
pub fn validate_agent_param(
    agent: &Value,
    version: XapiVersion,
    allow_group: bool,
) -> Vec<Problem> {
    let mut v = Validator::new(version);
    let path = "agent";
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
        while let Some(s) = rest.first().filter(|s| s.len() == 3 && alpha(s)) {
            let _ = s;
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
    while let Some(singleton) = rest
        .first()
        .filter(|s| s.len() == 1 && !s.eq_ignore_ascii_case("x"))
    {
        let _ = singleton;
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

fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

fn index(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
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
