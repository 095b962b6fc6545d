//! RFC 3339 timestamps as the credentials file and the C ABI carry them (`2026-11-23T10:00:00Z`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};

/// Whole seconds, UTC, with a `Z`.
pub fn format_rfc3339(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    DateTime::from_secs(seconds).fmt(Format::DateTime).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp, with `Z` or a numeric offset; `None` when it is not one, whatever
/// its characters (an expiry that does not parse counts as expired).
pub fn parse_rfc3339(value: &str) -> Option<SystemTime> {
    let value = value.trim();
    if !value.is_ascii() {
        return None;
    }
    let (utc_text, offset_seconds) = split_offset(value)?;
    let parsed = SystemTime::try_from(DateTime::from_str(&utc_text, Format::DateTime).ok()?).ok()?;
    // 10:00+01:00 is 09:00Z: subtract the offset.
    if offset_seconds >= 0 {
        parsed.checked_sub(Duration::from_secs(offset_seconds as u64))
    } else {
        parsed.checked_add(Duration::from_secs(offset_seconds.unsigned_abs()))
    }
}

/// `...+HH:MM` / `...-HH:MM` into the same clock time with `Z` and the offset in seconds. ASCII only.
fn split_offset(value: &str) -> Option<(String, i64)> {
    if value.ends_with(['Z', 'z']) || value.len() < 6 {
        return Some((value.to_string(), 0));
    }
    let (base, offset) = value.split_at_checked(value.len() - 6)?;
    let sign = match offset.as_bytes() {
        [b'+', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) => 1,
        [b'-', h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()) => -1,
        _ => return None,
    };
    let hours: i64 = offset[1..3].parse().ok()?;
    let minutes: i64 = offset[4..6].parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some((format!("{base}Z"), sign * (hours * 3600 + minutes * 60)))
}

/// The last second RFC 3339 can write (9999-12-31T23:59:59Z).
const LATEST_SECONDS: u64 = 253_402_300_799;

/// A time from epoch milliseconds, as GetRoleCredentials reports expiry.
pub fn from_epoch_millis(millis: i64) -> SystemTime {
    let millis = millis.max(0);
    from_epoch_secs(millis / 1000) + Duration::from_millis((millis % 1000) as u64)
}

/// A time from epoch seconds, as RegisterClient reports expiry. The numbers come from a service:
/// before 1970 is taken as 1970, after the year 9999 as its last second, so that no clock
/// overflows (Windows' ends in the year 30828) and every time can be written to a file.
pub fn from_epoch_secs(seconds: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds.clamp(0, LATEST_SECONDS as i64) as u64)
}

/// Seconds from now until `time`, zero if it has passed.
pub fn seconds_until(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::now()).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_offsets() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let text = format_rfc3339(t);
        assert_eq!(text, "2026-11-18T11:06:40Z");
        assert_eq!(parse_rfc3339(&text), Some(t));
        assert_eq!(parse_rfc3339("2026-11-18T12:06:40+01:00"), Some(t));
        assert_eq!(parse_rfc3339("2026-11-18T06:06:40-05:00"), Some(t));
        assert_eq!(parse_rfc3339("not a time"), None);
    }

    #[test]
    fn anything_that_is_not_a_time_is_none_and_never_a_panic() {
        for text in [
            "2099-11-23T10:00:00+0é:00",
            "2099-11-23T10:00:00ééé",
            "éééééé",
            "日本語テキスト",
            "２０９９-11-23T10:00:00Z",
            "2099-11-23T10:00:00+01:0é",
            "2099-11-23T10:00:00+24:00",
            "2099-11-23T10:00:00++1:00",
            "2099-13-45T99:99:99Z",
            "+01:00",
            "",
            "Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
        // Every prefix and every byte-aligned cut of a valid time, and of the same with wide characters.
        let valid = "2026-11-18T12:06:40.5+01:00";
        for end in 0..=valid.len() {
            let _ = parse_rfc3339(&valid[..end]);
            let _ = parse_rfc3339(&format!("{}é{}", &valid[..end], &valid[end..]));
        }
    }

    #[test]
    fn epoch_numbers_of_any_size_are_times_that_can_be_written() {
        assert_eq!(format_rfc3339(from_epoch_millis(1_795_000_000_500)), "2026-11-18T11:06:40Z");
        assert_eq!(from_epoch_millis(1_795_000_000_500), UNIX_EPOCH + Duration::from_millis(1_795_000_000_500));
        assert_eq!(format_rfc3339(from_epoch_secs(1_795_000_000)), "2026-11-18T11:06:40Z");
        for huge in [i64::MAX, LATEST_SECONDS as i64 + 1] {
            assert_eq!(format_rfc3339(from_epoch_secs(huge)), "9999-12-31T23:59:59Z", "{huge}");
        }
        assert_eq!(format_rfc3339(from_epoch_millis(i64::MAX)), "9999-12-31T23:59:59Z");
        for negative in [i64::MIN, -1] {
            assert_eq!(from_epoch_secs(negative), UNIX_EPOCH);
            assert_eq!(from_epoch_millis(negative), UNIX_EPOCH);
        }
    }
}
