//! Decoding `GET /v1/auth/tokens` at the speed of the wire.
//!
//! A list can hold tens of thousands of summaries, and serde_json spends most of its time there
//! on the generic machinery (every key and value validated as UTF-8 and matched as a string).
//! [`decode`] first tries a direct scanner for the shape servers actually send: an array of flat
//! objects whose keys and string values hold no escapes. Known keys are matched in place; the
//! common forms of ids (hyphenated) and timestamps (`YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`) are
//! read in place with the same validity rules and built with the same constructors uuid and time
//! use, and any other form goes to `Uuid::try_parse_ascii` and time's RFC 3339 parser, as serde
//! would send it. Anything else — an escape, a number or object in an unknown field, a duplicate
//! or missing field, a bad value, trailing bytes — and the scanner gives up, and the body is
//! decoded by serde_json exactly as before, with serde's errors. So the fast path changes the
//! speed, never the result: tests (and the `token_list` fuzz target) hold it to serde_json's
//! answer on generated and mutated bodies, and the in-place readers to uuid's and time's parsers.
//!
//! Measured on 10,000 summaries (1.5 MB, bench/run's list10k): serde_json took ~3.4 ms, the
//! scanner ~1 ms, most of it building timestamps and the `env_prefix` strings.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, Time, UtcOffset};
use uuid::Uuid;

use crate::error::{Operation, Result};
use crate::tokens::TokenSummary;

/// The list in `body`: by the direct scanner when the body has the plain shape, else by
/// serde_json (with its errors).
pub(crate) fn decode(op: Operation, body: &[u8]) -> Result<Vec<TokenSummary>> {
    match scan(body) {
        Some(list) => Ok(list),
        None => crate::http::decode(op, body),
    }
}

/// The list, if `body` has the plain shape and every value parses; `None` sends it to serde.
pub(crate) fn scan(body: &[u8]) -> Option<Vec<TokenSummary>> {
    let mut c = Cursor { b: body, i: 0 };
    c.ws();
    c.eat(b'[')?;
    // A summary takes about 160 bytes on the wire: one allocation in the common case.
    let mut out = Vec::with_capacity(body.len() / 150 + 1);
    c.ws();
    if c.peek() == Some(b']') {
        c.i += 1;
    } else {
        loop {
            c.summary(&mut out)?;
            c.ws();
            match c.next()? {
                b',' => c.ws(),
                b']' => break,
                _ => return None,
            }
        }
    }
    c.ws();
    (c.i == body.len()).then_some(out)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

/// `YYYY-MM-DDTHH:MM:SS[.1-9 digits](Z|±HH:MM)` at the start of `b`, and its length: the form
/// servers send, parsed in place and built with the same calls time's RFC 3339 parser makes
/// (so the same instant, and the same refusals). Anything else (a leap second, another
/// separator, more digits) is `None`, left to time's parser.
fn plain_timestamp(b: &[u8], out: &mut OffsetDateTime) -> Option<usize> {
    // The fixed part, checked all at once: digits where digits go, then the separators.
    let head: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    let d = head.map(|c| c.wrapping_sub(b'0'));
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    if digits.iter().fold(false, |bad, &i| bad | (d[i] > 9))
        || head[4] != b'-'
        || head[7] != b'-'
        || head[10] != b'T'
        || head[13] != b':'
        || head[16] != b':'
    {
        return None;
    }
    let two = |i: usize| d[i] * 10 + d[i + 1];
    let year = u16::from(two(0)) * 100 + u16::from(two(2));
    let (month, day, hour, minute, second) = (two(5), two(8), two(11), two(14), two(17));
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        // One to nine digits (more are left to time's parser), scaled to nanoseconds.
        const SCALE: [u32; 10] = [
            0,
            100_000_000,
            10_000_000,
            1_000_000,
            100_000,
            10_000,
            1_000,
            100,
            10,
            1,
        ];
        let (mut n, mut frac) = (0, 0u32);
        while let Some(&c) = b.get(20 + n) {
            let digit = c.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            if n == 9 {
                return None;
            }
            frac = frac * 10 + u32::from(digit);
            n += 1;
        }
        if n == 0 {
            return None;
        }
        nanos = frac * SCALE[n];
        i = 20 + n;
    }
    let offset = match b.get(i)? {
        b'Z' => {
            i += 1;
            UtcOffset::UTC
        }
        &sign @ (b'+' | b'-') => {
            let o: &[u8; 5] = b.get(i + 1..i + 6)?.try_into().ok()?;
            let o = o.map(|c| c.wrapping_sub(b'0'));
            if o[0] > 9 || o[1] > 9 || o[2] != b':'.wrapping_sub(b'0') || o[3] > 9 || o[4] > 9 {
                return None;
            }
            let (h, m) = ((o[0] * 10 + o[1]) as i8, (o[3] * 10 + o[4]) as i8);
            i += 6;
            if h > 23 {
                return None;
            }
            let sign = if sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
        _ => return None,
    };
    if second > 59 {
        return None;
    }
    let date = Date::from_calendar_date(i32::from(year), Month::try_from(month).ok()?, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    // Written in place: returning the packed value through the stack stalled on store forwarding.
    *out = OffsetDateTime::new_in_offset(date, time, offset);
    Some(i)
}

/// The hyphenated form (`8-4-4-4-12` hex digits, either case): the only 36-character form
/// `Uuid::try_parse_ascii` accepts, decoded the same way without its general dispatch.
fn hyphenated(s: &[u8; 36]) -> Option<Uuid> {
    const HEX: [u8; 256] = {
        let mut t = [0xff; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    if s[8] != b'-' || s[13] != b'-' || s[18] != b'-' || s[23] != b'-' {
        return None;
    }
    // Where each byte's two digits start.
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    let mut bytes = [0u8; 16];
    let mut bad = 0u8;
    for (out, &i) in bytes.iter_mut().zip(&AT) {
        let (hi, lo) = (HEX[usize::from(s[i])], HEX[usize::from(s[i + 1])]);
        bad |= hi | lo;
        *out = (hi << 4) | (lo & 0x0f);
    }
    (bad & 0xf0 == 0).then(|| Uuid::from_bytes(bytes))
}

fn timestamp(raw: &[u8]) -> Option<OffsetDateTime> {
    let mut t = OffsetDateTime::UNIX_EPOCH;
    if plain_timestamp(raw, &mut t) == Some(raw.len()) {
        return Some(t);
    }
    // time's parser takes any byte as the date/time separator; serde would first have refused a
    // control character or invalid UTF-8 in the string, so the scanner does too.
    let text = std::str::from_utf8(raw).ok()?;
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// JSON whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    /// A string without escapes or control characters: its raw bytes (not yet checked as UTF-8).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let b: &'a [u8] = self.b;
        let rest = &b[self.i..];
        let len = rest.iter().position(|&c| c == b'"')?;
        let raw = &rest[..len];
        // Without short-circuiting, so the check runs over whole words.
        let bad = raw
            .iter()
            .fold(false, |bad, &c| bad | (c < 0x20) | (c == b'\\'));
        if bad {
            return None;
        }
        self.i += len + 1;
        Some(raw)
    }

    /// `"key":` when it is exactly `key` (the common case, no scan), else `None` (cursor kept).
    fn known_key(&mut self, key: &[u8]) -> bool {
        let rest = &self.b[self.i..];
        let n = key.len();
        if rest.len() > n + 2 && rest[0] == b'"' && &rest[1..=n] == key && rest[n + 1] == b'"' {
            self.i += n + 2;
            true
        } else {
            false
        }
    }

    /// `null`.
    fn null(&mut self) -> bool {
        if self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    /// The value of a field the model does not know: a plain string, `null`, `true` or `false`
    /// (anything else sends the body to serde).
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => std::str::from_utf8(self.string()?).ok().map(drop),
            _ => {
                for word in [&b"null"[..], b"true", b"false"] {
                    if self.b[self.i..].starts_with(word) {
                        self.i += word.len();
                        return Some(());
                    }
                }
                None
            }
        }
    }

    /// A timestamp string: parsed in place when plain, else scanned as a string first.
    fn timestamp(&mut self, out: &mut OffsetDateTime) -> Option<()> {
        let b: &'a [u8] = self.b;
        if b.get(self.i) == Some(&b'"')
            && let Some(n) = plain_timestamp(&b[self.i + 1..], out)
            && b.get(self.i + 1 + n) == Some(&b'"')
        {
            self.i += n + 2;
            return Some(());
        }
        *out = timestamp(self.string()?)?;
        Some(())
    }

    /// An optional timestamp: `null` or a string.
    fn maybe_timestamp(&mut self) -> Option<Option<OffsetDateTime>> {
        if self.null() {
            Some(None)
        } else {
            let mut t = OffsetDateTime::UNIX_EPOCH;
            self.timestamp(&mut t)?;
            Some(Some(t))
        }
    }

    /// A token id: the 36-character form read in place, anything else scanned as a string first.
    fn id(&mut self) -> Option<Uuid> {
        let b: &'a [u8] = self.b;
        if b.get(self.i) == Some(&b'"')
            && b.get(self.i + 37) == Some(&b'"')
            && let Some(id) = hyphenated(b[self.i + 1..self.i + 37].try_into().ok()?)
        {
            self.i += 38;
            return Some(id);
        }
        Uuid::try_parse_ascii(self.string()?).ok()
    }

    /// Which field a key names, matched in place for the known keys (no scan); anything else is
    /// scanned as a string and must be UTF-8, as serde reads every key.
    fn key(&mut self) -> Option<Field> {
        for (name, field) in [
            (&b"created_at"[..], Field::CreatedAt),
            (b"env_prefix", Field::EnvPrefix),
            (b"expires_at", Field::ExpiresAt),
            (b"id", Field::Id),
            (b"last_used_at", Field::LastUsedAt),
            (b"rotated_at", Field::RotatedAt),
        ] {
            if self.known_key(name) {
                return Some(field);
            }
        }
        std::str::from_utf8(self.string()?).ok()?;
        Some(Field::Other)
    }

    /// One summary, pushed onto `out`.
    ///
    /// The fields live in plain locals with a bit each for "seen" (not `Option`s moved through
    /// the stack: copying packed timestamps in and out of them stalled on store forwarding).
    fn summary(&mut self, out: &mut Vec<TokenSummary>) -> Option<()> {
        self.eat(b'{')?;
        let mut seen = 0u8;
        let mut id = Uuid::nil();
        let mut env_prefix = std::borrow::Cow::Borrowed("");
        let mut created_at = OffsetDateTime::UNIX_EPOCH;
        let mut expires_at = OffsetDateTime::UNIX_EPOCH;
        let mut last_used_at = None;
        let mut rotated_at = None;
        loop {
            self.ws();
            let field = self.key()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            // serde refuses a known field given twice.
            let bit = field as u8;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            match field {
                Field::Id => id = self.id()?,
                Field::EnvPrefix => {
                    env_prefix = match self.string()? {
                        b"prod" => "prod".into(),
                        b"stage" => "stage".into(),
                        b"dev" => "dev".into(),
                        other => std::str::from_utf8(other).ok()?.to_owned().into(),
                    };
                }
                Field::CreatedAt => self.timestamp(&mut created_at)?,
                Field::ExpiresAt => self.timestamp(&mut expires_at)?,
                Field::LastUsedAt => last_used_at = self.maybe_timestamp()?,
                Field::RotatedAt => rotated_at = self.maybe_timestamp()?,
                Field::Other => self.skip_value()?,
            }
            self.ws();
            match self.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
        const REQUIRED: u8 = Field::Id as u8
            | Field::EnvPrefix as u8
            | Field::CreatedAt as u8
            | Field::ExpiresAt as u8;
        if seen & REQUIRED != REQUIRED {
            return None;
        }
        out.push(TokenSummary {
            id,
            env_prefix,
            created_at,
            expires_at,
            last_used_at,
            rotated_at,
        });
        Some(())
    }
}

/// The fields of a summary, each a bit of the "seen" mask (`Other` is never refused twice).
#[derive(Clone, Copy)]
enum Field {
    Id = 1,
    EnvPrefix = 2,
    CreatedAt = 4,
    ExpiresAt = 8,
    LastUsedAt = 16,
    RotatedAt = 32,
    Other = 0,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn serde(body: &[u8]) -> Option<Vec<TokenSummary>> {
        serde_json::from_slice(body).ok()
    }

    /// The scanner's promise: when it answers, serde_json answers the same.
    fn agrees(body: &[u8]) {
        if let Some(fast) = scan(body) {
            assert_eq!(Some(fast), serde(body), "{}", String::from_utf8_lossy(body));
        }
    }

    const ONE: &str = r#"{"created_at":"2026-11-25T11:57:17.83946141Z","env_prefix":"prod","expires_at":"2026-12-25T11:57:17Z","id":"01a21291-3c8f-7531-8da2-61b5f12599cd","last_used_at":null,"rotated_at":"2026-11-26T01:02:03.5+02:00"}"#;

    #[test]
    fn plain_lists_take_the_fast_path_and_match_serde() {
        for body in [
            "[]".to_owned(),
            " [ ] \n".to_owned(),
            format!("[{ONE}]"),
            format!("[{ONE},{ONE}]"),
            format!("[ {ONE} ,\n\t{ONE} ]"),
            // Key order, whitespace, absent optionals, unknown plain fields.
            r#"[{ "id" : "01a21291-3c8f-7531-8da2-61b5f12599cd" , "expires_at":"2026-12-25T11:57:17+00:00","env_prefix":"dev","created_at":"2026-11-25T11:57:17Z","new":"x","flag":true,"gone":null}]"#.to_owned(),
            // Values in forms the in-place readers leave to uuid's and time's own parsers.
            format!("[{}]", ONE.replace("2026-12-25T11:57:17Z", "2026-12-31T23:59:60Z")),
            format!("[{}]", ONE.replace("2026-12-25T11:57:17Z", "2026-12-25t11:57:17.1234567891z")),
            format!("[{}]", ONE.replace("01a21291-3c8f-7531-8da2-61b5f12599cd", "01A212913C8F75318DA261B5F12599CD")),
        ] {
            let fast = scan(body.as_bytes()).unwrap_or_else(|| panic!("not fast: {body}"));
            assert_eq!(Some(fast), serde(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn anything_unusual_goes_to_serde() {
        for body in [
            // An escape, a number or object in an unknown field, duplicates, a missing field,
            // a bad value, a control character in a value (serde's own answer is kept).
            ONE.replace("\"prod\"", "\"pr\\u006fd\""),
            ONE.replace("\"last_used_at\":null", "\"n\":1"),
            ONE.replace("\"last_used_at\":null", "\"o\":{}"),
            ONE.replace(
                "\"last_used_at\":null",
                "\"id\":\"01a21291-3c8f-7531-8da2-61b5f12599cd\"",
            ),
            ONE.replace("\"last_used_at\":null", "\"rotated_at\":null"),
            ONE.replace("\"env_prefix\":\"prod\",", ""),
            ONE.replace("-61b5f12599cd", "-61b5f12599cz"),
            ONE.replace("2026-12-25T11:57:17Z", "2026-12-25\u{1}11:57:17Z"),
        ] {
            let body = format!("[{body}]");
            assert!(scan(body.as_bytes()).is_none(), "fast: {body}");
            agrees(body.as_bytes());
        }
        assert!(scan(format!("[{ONE}] x").as_bytes()).is_none());
        assert!(scan(format!("[{ONE},]").as_bytes()).is_none());
        assert!(scan(b"[{}]").is_none());
        assert!(scan(b"").is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes: the scanner either declines or agrees with serde.
        #[test]
        fn arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            agrees(&body);
        }

        /// A valid list with one byte changed, dropped or inserted: the scanner either declines
        /// or agrees with serde (which may itself refuse the body).
        #[test]
        fn mutated_lists(at in 0usize..400, byte in any::<u8>(), how in 0u8..3) {
            let mut body = format!("[{ONE},{ONE}]").into_bytes();
            let at = at % body.len();
            match how {
                0 => body[at] = byte,
                1 => { body.remove(at); }
                _ => body.insert(at, byte),
            }
            agrees(&body);
        }

        /// Any 36 bytes: the in-place id decoder and uuid's parser agree.
        #[test]
        fn ids(raw in proptest::collection::vec(
            prop_oneof![Just(b'-'), Just(b'g'), Just(b'G'), Just(b'0'), Just(b'f'), Just(b'F'), Just(b'9'), Just(b'a'), any::<u8>()], 36)) {
            let raw: [u8; 36] = raw.try_into().unwrap();
            prop_assert_eq!(hyphenated(&raw), Uuid::try_parse_ascii(&raw).ok());
        }

        /// Generated timestamps and ids, in and out of range: the same answer either way.
        #[test]
        fn generated_values(
            y in 0u32..10000, mo in 0u32..14, d in 0u32..33, h in 0u32..25, mi in 0u32..61,
            s in 0u32..62, frac in proptest::option::of(0u32..1_000_000_000), digits in 1usize..12,
            off in prop_oneof![Just("Z".to_owned()), Just("z".to_owned()), (0u32..25, 0u32..61, any::<bool>())
                .prop_map(|(h, m, neg)| format!("{}{h:02}:{m:02}", if neg { '-' } else { '+' }))],
            sep in prop_oneof![Just('T'), Just('t'), Just(' ')],
        ) {
            let frac = frac.map(|f| format!(".{:0>digits$}", f)).unwrap_or_default();
            let ts = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{s:02}{frac}{off}");
            let body = format!("[{}]", ONE.replace("2026-12-25T11:57:17Z", &ts));
            agrees(body.as_bytes());
        }
    }
}
