//! Hostile JSON for the property tests of every JSON file the engine reads (the SSO token cache, the
//! listing of accounts, the learnt portal rates): a valid document of the file's shape, damaged the
//! way editors, full disks, other tools and attackers damage files. Leaves become absurd numbers
//! (`1e308`, `-1`, `u64::MAX`, `i64::MIN`, one past `u64::MAX`, `1e999`), other types, deep
//! nesting or huge strings; keys go missing, repeat or are added; the text is cut short, gets a
//! stray byte or a byte order mark, or is replaced by random bytes or deep nesting.
//!
//! Seeded like `invariant_tests` (`SSOCREDS_FUZZ_SEED` changes the seed), so a failure repeats.

use serde_json::Value;

/// splitmix64: small, fast and the same everywhere.
pub(crate) struct Rng(pub u64);

impl Rng {
    /// The generator for a test: `SSOCREDS_FUZZ_SEED` when set, else `default_seed`.
    pub(crate) fn seeded(default_seed: u64) -> Rng {
        let seed = std::env::var("SSOCREDS_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default_seed);
        Rng(seed)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(crate) fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Numbers no field of ours holds: out of range of its type, negative, fractional, or out of
/// every type's range (`1e999`); `NaN` and `Infinity` are not JSON at all.
pub(crate) const ABSURD_NUMBERS: &[&str] = &[
    "-1",
    "-0",
    "0.5",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "4.9e-324",
    "1e999",
    "9223372036854775807",
    "9223372036854775808",
    "10000000000000000000",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "99999999999999999999999999999999999999",
    "NaN",
    "Infinity",
];

/// Values of every other type, and strings no field of ours holds.
pub(crate) const OTHER_VALUES: &[&str] = &[
    "0",
    "null",
    "true",
    "false",
    "\"\"",
    "\"18.4\"",
    "\"-1\"",
    "\"9999-12-31T23:59:59Z\"",
    "\"0000-01-01T00:00:00Z\"",
    "\"+275760-09-13T00:00:00Z\"",
    "\"2099-13-45T99:99:99Z\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"日本語テキスト\"",
    "[]",
    "{}",
    "[1, \"two\", null]",
    "{\"a\": {\"b\": [1e308]}}",
];

/// Which values of a document [`write_value`] replaces.
struct Damage {
    /// Every value below the top with these odds (percent)...
    odds: usize,
    /// ...and this one, counting values in the order they are written: one field gone wrong in a
    /// file otherwise valid is what reaches the code behind the parser.
    target: Option<usize>,
    seen: usize,
}

/// `valid` as JSON text, damaged at random (now and then not at all).
pub(crate) fn damaged(rng: &mut Rng, valid: &Value) -> Vec<u8> {
    let mut damage = match rng.below(8) {
        0 => Damage { odds: 0, target: None, seen: 0 },
        1 => Damage { odds: 10, target: None, seen: 0 },
        2 => Damage { odds: 40, target: None, seen: 0 },
        _ => Damage { odds: 0, target: Some(rng.below(values_in(valid))), seen: 0 },
    };
    let mut text = String::new();
    write_value(rng, valid, &mut damage, 0, &mut text);
    let mut bytes = text.into_bytes();
    match rng.below(16) {
        0 if !bytes.is_empty() => bytes.truncate(rng.below(bytes.len())),
        1 => {
            let at = rng.below(bytes.len() + 1);
            bytes.insert(at, *rng.pick(&[0xFFu8, 0xC3, 0x00, b'"', b',', b'}', b']', b'\\', b'\n']));
        }
        2 => bytes.splice(0..0, "\u{feff}".bytes()).for_each(drop),
        3 => bytes = random_bytes(rng),
        4 => bytes = deep_nesting(rng).into_bytes(),
        _ => {}
    }
    bytes
}

fn values_in(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(values_in).sum(),
        Value::Object(fields) => fields.values().map(values_in).sum(),
        _ => 0,
    }
}

/// `[[[[...`, `{"a":{"a":...` or `-[-[...`, closed or not: deeper than any reader recurses.
pub(crate) fn deep_nesting(rng: &mut Rng) -> String {
    let depth = 1_000 + rng.below(100_000);
    let (open, close) = *rng.pick(&[("[", "]"), ("{\"a\":", "}"), ("{\"endpoints\":", "}"), ("{\"accounts\":[", "]}")]);
    let mut text = open.repeat(depth);
    if rng.percent(50) {
        text.push_str(&close.repeat(depth));
    }
    text
}

fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    const SIGNIFICANT: &[u8] = b"{}[]\":,-+.eE0123456789 \t\r\n\\untrefals\0\xC3\xA9\xFF";
    (0..rng.below(300)).map(|_| if rng.percent(85) { *rng.pick(SIGNIFICANT) } else { rng.next() as u8 }).collect()
}

/// Writes `value` with the values `damage` picks replaced, and objects' keys now and then dropped,
/// repeated or joined by one more.
fn write_value(rng: &mut Rng, value: &Value, damage: &mut Damage, depth: usize, out: &mut String) {
    let index = damage.seen;
    damage.seen += 1;
    let replace = damage.target == Some(index) || (depth > 0 && rng.percent(damage.odds));
    match value {
        _ if replace => out.push_str(&absurd_value(rng)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(rng, item, damage, depth + 1, out);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            let mut first = true;
            let mut field = |out: &mut String, key: &str, value: &Value, rng: &mut Rng, damage: &mut Damage| {
                if !std::mem::take(&mut first) {
                    out.push(',');
                }
                out.push_str(&Value::String(key.to_string()).to_string());
                out.push(':');
                write_value(rng, value, damage, depth + 1, out);
            };
            let odds = damage.odds / 4;
            for (key, value) in fields {
                if rng.percent(odds) {
                    continue;
                }
                field(out, key, value, rng, damage);
                if rng.percent(odds) {
                    field(out, key, value, rng, damage);
                }
            }
            if rng.percent(odds) {
                field(out, "unknown", &Value::Null, rng, &mut Damage { odds: 0, target: None, seen: 0 });
            }
            out.push('}');
        }
        leaf => out.push_str(&leaf.to_string()),
    }
}

fn absurd_value(rng: &mut Rng) -> String {
    match rng.below(20) {
        0 => format!("\"{}\"", "x".repeat(100_000 + rng.below(100_000))),
        1 => format!("[{}]", vec!["1e308"; rng.below(10_000)].join(",")),
        2 => deep_nesting(rng),
        3..=11 => rng.pick(ABSURD_NUMBERS).to_string(),
        _ => rng.pick(OTHER_VALUES).to_string(),
    }
}

/// Whitespace after `valid`, to make a file of `size` bytes that is otherwise valid.
pub(crate) fn padded(valid: &Value, size: usize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(valid).unwrap();
    bytes.resize(size.max(bytes.len()), b' ');
    bytes
}
