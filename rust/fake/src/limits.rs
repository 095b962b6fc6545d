//! The rate limiters the fake can put in front of its API, in the shapes real services use: a
//! token bucket (a steady rate with a burst allowance, from one request up to many) and a fixed
//! window (so many requests per calendar second, counted afresh at each second). Pure: the caller
//! passes the time, so the shapes are tested without a clock.

use std::time::{Duration, Instant};

/// How a rate limit counts requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateWindow {
    /// A token bucket: `burst` tokens, refilled continuously at the rate; a request takes one.
    #[default]
    Bucket,
    /// At most `rate` requests in each one-second window, the windows counted from the start.
    Fixed,
}

/// A limit of `rate` requests per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    pub rate: u32,
    /// The bucket's capacity: how many requests may come at once after a quiet spell. `None` is
    /// the rate itself (one second's worth). Ignored by a fixed window.
    pub burst: Option<u32>,
    pub window: RateWindow,
}

impl RateLimit {
    /// A token bucket whose burst is one second's worth of requests.
    pub fn per_second(rate: u32) -> RateLimit {
        RateLimit { rate, burst: None, window: RateWindow::Bucket }
    }
}

/// The state of one limit.
#[derive(Debug)]
pub struct Limiter {
    limit: RateLimit,
    /// Bucket: the theoretical arrival time of the next request (GCRA: a bucket of `burst` tokens
    /// is full when this is at or before `now - (burst - 1) / rate`), in whole nanoseconds, so that
    /// exact spacing at the rate always passes.
    next: Instant,
    start: Instant,
    /// Fixed window: the current window (whole seconds since `start`) and requests admitted in it.
    window: u64,
    admitted: u32,
}

impl Limiter {
    /// A limiter whose bucket starts full (or whose first window starts) at `start`.
    pub fn new(limit: RateLimit, start: Instant) -> Limiter {
        let limit = RateLimit { rate: limit.rate.max(1), burst: limit.burst.map(|b| b.max(1)), ..limit };
        Limiter { limit, next: start, start, window: 0, admitted: 0 }
    }

    /// Admits a request arriving at `now`, or answers how long until one would be admitted.
    pub fn admit(&mut self, now: Instant) -> Result<(), Duration> {
        match self.limit.window {
            RateWindow::Bucket => {
                let interval = Duration::from_secs(1) / self.limit.rate;
                let tolerance = interval * (self.limit.burst.unwrap_or(self.limit.rate) - 1);
                let earliest = self.next.checked_sub(tolerance).unwrap_or(self.start);
                if now < earliest {
                    return Err(earliest - now);
                }
                self.next = self.next.max(now) + interval;
                Ok(())
            }
            RateWindow::Fixed => {
                let since = now.saturating_duration_since(self.start);
                let window = since.as_secs();
                if window != self.window {
                    self.window = window;
                    self.admitted = 0;
                }
                if self.admitted < self.limit.rate {
                    self.admitted += 1;
                    Ok(())
                } else {
                    Err(Duration::from_secs(window + 1).saturating_sub(since))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// How many of `count` requests, `spacing` apart from `start`, are admitted.
    fn admitted(limiter: &mut Limiter, start: Instant, count: u64, spacing: Duration) -> usize {
        (0..count).filter(|i| limiter.admit(start + spacing * *i as u32).is_ok()).count()
    }

    #[test]
    fn a_bucket_whose_burst_is_its_rate_admits_a_second_at_once_then_the_rate() {
        let start = Instant::now();
        let mut limiter = Limiter::new(RateLimit::per_second(20), start);
        assert_eq!(admitted(&mut limiter, start, 30, Duration::ZERO), 20);
        // Refilled at 20/s: one every 50 ms.
        assert_eq!(limiter.admit(start + ms(40)), Err(ms(10)));
        assert!(limiter.admit(start + ms(50)).is_ok());
        assert!(limiter.admit(start + ms(60)).is_err());
    }

    #[test]
    fn a_bucket_with_burst_one_wants_even_spacing() {
        let start = Instant::now();
        let mut limiter = Limiter::new(RateLimit { burst: Some(1), ..RateLimit::per_second(20) }, start);
        assert!(limiter.admit(start).is_ok());
        assert_eq!(limiter.admit(start + ms(1)), Err(ms(49)), "two at once: the second waits a full interval");
        // Evenly spaced at the rate, everything passes; a hair early, it does not.
        assert_eq!(admitted(&mut limiter, start + ms(50), 40, ms(50)), 40);
        assert!(limiter.admit(start + ms(50 * 41 - 2)).is_err());
        // Tokens never pile up beyond the burst, however long the quiet.
        let later = start + Duration::from_secs(60);
        assert_eq!(admitted(&mut limiter, later, 5, Duration::ZERO), 1);
    }

    #[test]
    fn a_bucket_burst_between_one_and_the_rate() {
        let start = Instant::now();
        let mut limiter = Limiter::new(RateLimit { burst: Some(5), ..RateLimit::per_second(10) }, start);
        assert_eq!(admitted(&mut limiter, start, 10, Duration::ZERO), 5);
        // Over the next second, ten more at the rate.
        assert_eq!(admitted(&mut limiter, start + ms(100), 20, ms(50)), 10);
    }

    #[test]
    fn a_fixed_window_admits_the_rate_in_each_second_however_they_come() {
        let start = Instant::now();
        let mut limiter = Limiter::new(RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(10) }, start);
        assert_eq!(admitted(&mut limiter, start + ms(900), 15, Duration::ZERO), 10);
        assert_eq!(limiter.admit(start + ms(950)), Err(ms(50)), "until the next window");
        // A new window: ten at once again, right after the ten at the end of the last one.
        assert_eq!(admitted(&mut limiter, start + ms(1000), 15, Duration::ZERO), 10);
        // Evenly spaced at exactly the rate, each window gets its ten.
        assert_eq!(admitted(&mut limiter, start + ms(2000), 30, ms(100)), 30);
        // Burst does not apply to a window.
        let mut window = Limiter::new(RateLimit { rate: 10, burst: Some(1), window: RateWindow::Fixed }, start);
        assert_eq!(admitted(&mut window, start, 12, Duration::ZERO), 10);
    }

    #[test]
    fn zero_is_taken_as_one() {
        let start = Instant::now();
        let mut limiter = Limiter::new(RateLimit { rate: 0, burst: Some(0), window: RateWindow::Bucket }, start);
        assert!(limiter.admit(start).is_ok());
        assert!(limiter.admit(start).is_err());
        assert!(limiter.admit(start + Duration::from_secs(1)).is_ok());
    }
}
