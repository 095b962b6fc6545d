//! The pacing algorithm, pure: it is told the time and what the service answered, and answers when
//! each request may go. No clock, no I/O, no async runtime, no SDK types, so that every rule below
//! is tested with made-up instants (and against the fake's limiters, simulated).
//!
//! - **Even spacing.** Requests leave one at a time, `1 / rate` apart, in the order they asked; never
//!   a volley. A request's slot is recomputed each time it asks, so a cut, a pause or a
//!   `Retry-After` applies to requests already waiting.
//! - **Start.** From the rate learnt last time for this endpoint if the service's 429s set it; else
//!   (first contact, or a rate the service never throttled, which is a floor, not a ceiling) from
//!   the higher of that rate and [`INITIAL_RATE`], growing fast.
//! - **Growth.** Until the service first throttles, the rate doubles for every round trip (the
//!   quickest acceptance seen, [`MIN_ROUND_TRIP`] at least) in which the pacer held requests back
//!   and the service accepted them ([`GROWTH_PER_ROUND_TRIP`]), as TCP's slow start: a run reaches
//!   the service's speed in a few round trips, and overshoots a limit by at most a round trip's
//!   doubling before the first 429 says so. Afterwards the rate rises slowly, per second
//!   ([`PROBE_PER_SECOND`]). A pacer that holds nothing back (the requests in flight are the
//!   bottleneck) does not grow, so its rate stays a rate the service has accepted.
//! - **Cut.** A 429 for a request sent after the last change cuts the rate by the share of recent
//!   requests the service accepted. Later 429s of the same throttled spell re-estimate instead: never
//!   below the rate the service accepted over the last second (a fixed window that is spent refuses
//!   everything until it turns over, which says nothing new), and never above the rate it accepted
//!   since the spell began (a token bucket's burst, spent before it, is not its rate). Once a spell
//!   has cut the rate deep, a cut that did not change the share of refusals is not repeated: those
//!   429s are not about the rate.
//! - **Pause.** When everything sent since the last change was refused, the service is closed for
//!   now: the pacer waits (one interval, then twice as long each time) instead of cutting. If it
//!   accepted several in the last second and refused everything after them, a fixed window is
//!   spent: that many a second is its rate, and the pause lasts until a second after the first of
//!   them, when the window has turned.
//! - **Retry-After.** Nobody is let through before it, queued requests included.
//! - **Learnt.** What the next pacer for the endpoint starts from: see [`Pacer::learned`].

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{
    GROWTH_PER_ROUND_TRIP, HISTORY, HISTORY_LEN, INITIAL_RATE, MAX_CUT, MAX_RATE, MAX_RETRY_AFTER, MIN_RATE,
    MIN_ROUND_TRIP, NOISE_DEPTH, NOISE_MIN_ANSWERS, NOISE_SHARE, PROBE_PER_SECOND, RECENT, REPOLL, SHARE_PRIOR,
    SMALL_CUT, SPELL_MIN_ACCEPTED, SPELL_MIN_SPAN, SPELL_QUIET, TIMER_SLACK,
};

/// Where a pacer starts, and what it has learnt (see [`Pacer::learned`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Start {
    /// Requests per second.
    pub rate: f64,
    /// The rate comes from the service's 429s: probe slowly from it. Otherwise the service has not
    /// throttled yet: grow fast from it.
    pub throttled: bool,
}

impl Default for Start {
    fn default() -> Self {
        Start { rate: INITIAL_RATE, throttled: false }
    }
}

/// A request's place in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

/// A request that was let through; its answer is reported with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub at: Instant,
}

/// What a queued request is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Send now.
    Go(Sent),
    /// Ask again then: the request's slot, or sooner if that is far (the rate may grow meanwhile).
    WaitUntil(Instant),
}

/// What became of a request that was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Any answer but a 429: the request got past the service's limiter.
    Accepted,
    /// A 429, with the service's `Retry-After` if it gave one.
    Throttled { retry_after: Option<Duration> },
    /// No answer (a network error, a timeout, a cancelled call): nothing learnt.
    Unknown,
}

/// What a 429 changed, for the caller to log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Change {
    /// The rate was cut; `accepted_share` is the share of recent requests the service accepted.
    Cut { from: f64, to: f64, accepted_share: f64 },
    /// Nothing sent since the last change got through (a fixed window that is spent, say):
    /// nobody is let through for this long, and the rate stays.
    Pause(Duration),
}

/// 429s not separated by a quiet stretch (a second, and [`SPELL_QUIET`] acceptances): one spell of
/// throttling.
#[derive(Clone, Copy, Debug)]
struct Spell {
    /// When the request of its first 429 was sent.
    began: Instant,
    /// When its latest 429 arrived.
    last: Instant,
    cuts: u32,
    /// The rate when it began.
    from_rate: f64,
}

#[derive(Debug)]
pub struct Pacer {
    rate: f64,
    growing: bool,
    queue: VecDeque<Ticket>,
    next_ticket: u64,
    /// The slot of the last request (when it left, give or take a timer tick): the next may go
    /// one interval (at the current rate) later.
    last_slot: Option<Instant>,
    blocked_until: Option<Instant>,
    /// Send times of requests not answered yet.
    in_flight: Vec<Instant>,
    /// The quickest acceptance seen (sent to answered): one round trip, the period of fast growth.
    round_trip: Option<Duration>,
    /// (sent, accepted) of answered requests, roughly in send order.
    history: VecDeque<(Instant, bool)>,
    first_send: Option<Instant>,
    /// Growth is counted from here.
    last_update: Option<Instant>,
    /// The pacer held a request back since `last_update`: it, not the service or the caller's
    /// bound on requests in flight, set the pace.
    held_back: bool,
    /// The last cut or pause: a 429 for a request sent before it was already answered by it.
    last_change: Option<Instant>,
    /// Acceptances of requests sent after `last_change`.
    accepted_since_change: usize,
    /// Pauses in a row.
    pauses: u32,
    /// The accepted share that caused the last cut, and the rate it cut from.
    cut_share: f64,
    last_cut_from: Option<f64>,
    spell: Option<Spell>,
    /// Acceptances since the last 429.
    quiet: usize,
}

impl Pacer {
    pub fn new(start: Start) -> Pacer {
        let rate = if start.rate.is_finite() { start.rate.clamp(MIN_RATE, MAX_RATE) } else { INITIAL_RATE };
        // A rate the service never throttled is a floor, not a ceiling: a small run learns no more
        // than it needed, which must not slow the next, larger one.
        let rate = if start.throttled { rate } else { rate.max(INITIAL_RATE) };
        Pacer {
            rate,
            growing: !start.throttled,
            queue: VecDeque::new(),
            next_ticket: 0,
            last_slot: None,
            blocked_until: None,
            in_flight: Vec::new(),
            round_trip: None,
            history: VecDeque::new(),
            first_send: None,
            last_update: None,
            held_back: false,
            last_change: None,
            accepted_since_change: 0,
            pauses: 0,
            cut_share: 1.0,
            last_cut_from: None,
            spell: None,
            quiet: 0,
        }
    }

    /// Requests per second now.
    #[cfg(test)]
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// What to start from next time: the rate, and whether the service's 429s set it. A rate
    /// reached without a 429 is only where the pacer stopped holding requests back (something else,
    /// such as the bound on requests in flight or a run of one profile, set the pace): the service
    /// may take more, so the next pacer starts from it or from [`INITIAL_RATE`], whichever is
    /// higher, and keeps growing fast.
    ///
    /// A rate set by 429s is, at a run's end, anywhere on the saw-tooth of small cuts and slow
    /// probing just under the service's limit; the next pacer starts from the top of the last tooth
    /// (the rate the last small cut came from), since cutting is quick and probing is slow.
    pub fn learned(&self) -> Start {
        if self.growing {
            return Start { rate: self.rate, throttled: false };
        }
        let top = self.last_cut_from.filter(|from| *from <= self.rate / SMALL_CUT).unwrap_or(self.rate);
        Start { rate: top.max(self.rate), throttled: true }
    }

    /// Joins the queue.
    pub fn enqueue(&mut self) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.queue.push_back(ticket);
        ticket
    }

    /// Leaves the queue without sending (the request was cancelled).
    pub fn cancel(&mut self, ticket: Ticket) {
        self.queue.retain(|t| *t != ticket);
    }

    /// Whether `ticket` may go at `now`, or when to ask again. Its slot follows from its place in
    /// the queue and the current rate, so a cut or a `Retry-After` moves it.
    pub fn turn(&mut self, ticket: Ticket, now: Instant) -> Turn {
        let position = match self.queue.iter().position(|t| *t == ticket) {
            Some(position) => position,
            None => {
                self.queue.push_back(ticket);
                self.queue.len() - 1
            }
        };
        let interval = self.interval();
        let mut due = self.last_slot.map_or(now, |last| last + interval);
        if let Some(blocked) = self.blocked_until {
            due = due.max(blocked);
        }
        let slot = due.max(now) + interval.mul_f64(position as f64);
        if slot > now {
            self.held_back = true;
            // Ask again before a far slot: the rate may grow meanwhile.
            return Turn::WaitUntil(slot.min(now + REPOLL));
        }
        self.queue.remove(position);
        self.held_back |= !self.queue.is_empty();
        // A wake-up late by a timer tick is made up on the next request; later than that, the
        // next is spaced from when this one actually left, so that no gap is squeezed much.
        self.last_slot = Some(due.max(now.checked_sub(TIMER_SLACK).unwrap_or(now)));
        self.in_flight.push(now);
        self.first_send.get_or_insert(now);
        self.last_update.get_or_insert(now);
        Turn::Go(Sent { at: now })
    }

    /// Learns from what became of a request. Returns the change it caused, if any.
    pub fn answered(&mut self, sent: Sent, now: Instant, answer: Answer) -> Option<Change> {
        if let Some(i) = self.in_flight.iter().position(|t| *t == sent.at) {
            self.in_flight.swap_remove(i);
        }
        match answer {
            Answer::Unknown => None,
            Answer::Accepted => {
                self.quiet += 1;
                self.pauses = 0;
                if self.last_change.is_none_or(|change| sent.at > change) {
                    self.accepted_since_change += 1;
                }
                self.remember(sent.at, true, now);
                let round_trip = now.saturating_duration_since(sent.at);
                self.round_trip = Some(self.round_trip.map_or(round_trip, |r| r.min(round_trip)));
                self.grow(now);
                None
            }
            Answer::Throttled { retry_after } => {
                self.remember(sent.at, false, now);
                let reopened = self.blocked_until;
                if let Some(wait) = retry_after {
                    let until = now + wait.min(MAX_RETRY_AFTER);
                    self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
                }
                let change = self.throttled(sent.at, now);
                if retry_after.is_some() {
                    self.closed_after_window(sent.at, reopened, now);
                }
                change
            }
        }
    }

    /// A `Retry-After` says the service is closed for a while: what it accepted since it last
    /// reopened (or over the last second) is what it takes in a window, taken as a second's worth.
    /// Only when that is several: a bucket of burst 1 says when its next token comes, which tells
    /// nothing about a window. Requests in flight sent before the refused one count as accepted.
    fn closed_after_window(&mut self, refused: Instant, reopened: Option<Instant>, now: Instant) {
        let since = reopened.filter(|t| *t + RECENT > now).unwrap_or(now.checked_sub(RECENT).unwrap_or(now));
        let in_window = |t: &Instant| *t >= since && *t < refused;
        let accepted = self.history.iter().filter(|(t, ok)| *ok && in_window(t)).count()
            + self.in_flight.iter().filter(|t| in_window(t)).count();
        if accepted >= SPELL_MIN_ACCEPTED {
            self.rate = self.rate.min(accepted as f64 / RECENT.as_secs_f64()).max(MIN_RATE);
        }
    }

    fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate)
    }

    fn remember(&mut self, sent: Instant, accepted: bool, now: Instant) {
        self.history.push_back((sent, accepted));
        while self.history.len() > HISTORY_LEN
            || self.history.front().is_some_and(|(t, _)| now.saturating_duration_since(*t) > HISTORY)
        {
            self.history.pop_front();
        }
    }

    /// While everything is accepted and the pacer sets the pace: fast until the first 429 (per round
    /// trip, as the answers that allow it come back), then slowly (per second).
    fn grow(&mut self, now: Instant) {
        let since = self.last_update.map_or(Duration::ZERO, |t| now.saturating_duration_since(t));
        if self.held_back {
            let (factor, periods) = if self.growing {
                let round_trip = self.round_trip.unwrap_or(RECENT).clamp(MIN_ROUND_TRIP, RECENT);
                (GROWTH_PER_ROUND_TRIP, since.as_secs_f64() / round_trip.as_secs_f64())
            } else {
                (PROBE_PER_SECOND, since.as_secs_f64())
            };
            self.rate = (self.rate * factor.powf(periods)).min(MAX_RATE);
        }
        self.last_update = Some(now);
        self.held_back = false;
    }

    /// (accepted, answered) among the requests whose send time `keep`s.
    fn tally(&self, keep: impl Fn(Instant) -> bool) -> (usize, usize) {
        self.history
            .iter()
            .filter(|(t, _)| keep(*t))
            .fold((0, 0), |(accepted, all), (_, ok)| (accepted + usize::from(*ok), all + 1))
    }

    fn share((accepted, all): (usize, usize)) -> f64 {
        (accepted as f64 + SHARE_PRIOR) / (all as f64 + SHARE_PRIOR)
    }

    /// Everything sent since the last change was refused: the service is closed for now. Wait,
    /// longer each time, rather than cut a rate it accepted a moment ago.
    ///
    /// Unless, in the last second, it accepted several and then refused everything: a fixed window
    /// that is spent, and that many a second is its rate (a first contact that overshot spends one
    /// in milliseconds). Those sent before the refusals began and still unanswered count as
    /// accepted (429s come back sooner than answers), and the pause lasts until a second after the
    /// oldest of them, when such a window has turned.
    fn pause(&mut self, now: Instant) -> Change {
        let last_second = |t: &Instant| *t + RECENT > now;
        let first_refused = self.history.iter().filter(|(t, ok)| !ok && last_second(t)).map(|(t, _)| *t).min();
        let before_refusals = |t: &Instant| first_refused.is_some_and(|first| *t < first);
        let answered: Vec<Instant> =
            self.history.iter().filter(|(t, ok)| *ok && last_second(t)).map(|(t, _)| *t).collect();
        let accepted: Vec<Instant> = (answered.iter().copied())
            .chain(self.in_flight.iter().copied().filter(|t| last_second(t) && before_refusals(t)))
            .collect();
        let window_spent = accepted.len() >= SPELL_MIN_ACCEPTED && answered.iter().all(before_refusals);
        let mut pause = self.interval().mul_f64(2f64.powi(self.pauses.min(16) as i32));
        if window_spent {
            self.rate = self.rate.min(accepted.len() as f64 / RECENT.as_secs_f64()).max(MIN_RATE);
            let oldest = accepted.iter().min().copied().unwrap_or(now);
            pause = pause.max((oldest + RECENT).saturating_duration_since(now));
        }
        let pause = pause.min(RECENT);
        let until = now + pause;
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
        self.pauses += 1;
        self.last_change = Some(now);
        Change::Pause(pause)
    }

    fn throttled(&mut self, sent: Instant, now: Instant) -> Option<Change> {
        // No growth for a stretch that saw a 429.
        self.last_update = Some(now);
        self.held_back = false;
        let quiet =
            now.saturating_duration_since(self.spell.map_or(now, |s| s.last)) > RECENT && self.quiet >= SPELL_QUIET;
        self.quiet = 0;
        let mut spell = match self.spell {
            Some(spell) if !quiet => spell,
            _ => Spell { began: sent, last: now, cuts: 0, from_rate: self.rate },
        };
        spell.last = now;
        self.spell = Some(spell);
        // Sent before the last change: that change already answered it.
        if self.last_change.is_some_and(|change| sent < change) {
            return None;
        }
        let all_refused = self.last_change.is_some_and(|change| {
            self.accepted_since_change == 0 && !self.in_flight.iter().any(|t| *t > change && *t < sent)
        });
        if spell.cuts > 0 && all_refused {
            return Some(self.pause(now));
        }
        let window_start = sent.checked_sub(RECENT).unwrap_or(sent);
        let recent = self.tally(|t| t >= window_start && t <= sent);
        let share = Self::share(recent);
        if let (true, Some(change)) = (self.rate < spell.from_rate * NOISE_DEPTH, self.last_change) {
            // Already cut deep in this spell, and the last cut did not change how many requests are
            // refused: these 429s are not about the rate (a service shedding load at random).
            let since_cut = self.tally(|t| t > change);
            if since_cut.1 >= NOISE_MIN_ANSWERS && (Self::share(since_cut) - self.cut_share).abs() <= NOISE_SHARE {
                return None;
            }
        }
        let mut estimate = self.rate * share;
        if spell.cuts > 0 {
            let span = self.first_send.map_or(RECENT, |first| sent.saturating_duration_since(first).min(RECENT));
            estimate = estimate.max(recent.0 as f64 / span.as_secs_f64().max(0.001));
            // Up to the oldest request still unanswered: 429s come back sooner than acceptances.
            let horizon = self.in_flight.iter().min().copied().unwrap_or(now).min(now);
            let began = spell.began.max(horizon.checked_sub(HISTORY - RECENT).unwrap_or(spell.began));
            let span = horizon.saturating_duration_since(began);
            let (accepted, _) = self.tally(|t| t >= began && t < horizon);
            if accepted >= SPELL_MIN_ACCEPTED && span >= SPELL_MIN_SPAN {
                estimate = estimate.min(accepted as f64 / span.as_secs_f64());
            }
        }
        let from = self.rate;
        self.rate = estimate.min(from).max(from * MAX_CUT).max(MIN_RATE);
        self.growing = false;
        self.last_change = Some(now);
        self.accepted_since_change = 0;
        self.pauses = 0;
        self.cut_share = share;
        self.last_cut_from = Some(from);
        self.spell = Some(Spell { cuts: spell.cuts + 1, ..spell });
        Some(Change::Cut { from, to: self.rate, accepted_share: share })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fake_identity_center::{Limiter, RateLimit, RateWindow};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Sends `count` requests as fast as the pacer allows, each answered `answer(i)` right away;
    /// returns the send times.
    fn drain(pacer: &mut Pacer, start: Instant, count: usize, answer: impl Fn(usize) -> Answer) -> Vec<Instant> {
        let tickets: Vec<Ticket> = (0..count).map(|_| pacer.enqueue()).collect();
        let mut now = start;
        let mut sent = Vec::new();
        for (i, ticket) in tickets.into_iter().enumerate() {
            loop {
                match pacer.turn(ticket, now) {
                    Turn::Go(s) => {
                        pacer.answered(s, now, answer(i));
                        sent.push(s.at);
                        break;
                    }
                    Turn::WaitUntil(at) => now = at,
                }
            }
        }
        sent
    }

    #[test]
    fn requests_are_spaced_evenly_never_in_a_volley() {
        let mut pacer = Pacer::new(Start { rate: 10.0, throttled: true });
        let start = Instant::now();
        let tickets: Vec<Ticket> = (0..16).map(|_| pacer.enqueue()).collect();
        // Sixteen ask at once: the first goes; the second is given the slot 1/10 s later; the
        // others are told to ask again before their slots, which are further off.
        let Turn::Go(first) = pacer.turn(tickets[0], start) else { panic!("the first goes at once") };
        assert_eq!(first.at, start);
        assert_eq!(pacer.turn(tickets[1], start), Turn::WaitUntil(start + ms(100)));
        assert_eq!(pacer.turn(tickets[5], start), Turn::WaitUntil(start + REPOLL));
        // Unanswered (so nothing is learnt), they leave one every 1/10 s, in order.
        let mut sent = vec![first.at];
        let mut now = start;
        for ticket in &tickets[1..] {
            loop {
                match pacer.turn(*ticket, now) {
                    Turn::Go(s) => break sent.push(s.at),
                    Turn::WaitUntil(at) => now = at,
                }
            }
        }
        assert!(sent.windows(2).all(|w| w[1] - w[0] == ms(100)), "{sent:?}");
        // A wake-up late by a timer tick is made up on the next request; a later one squeezes the
        // next gap by no more than that.
        let (slightly, next, very, after) = (pacer.enqueue(), pacer.enqueue(), pacer.enqueue(), pacer.enqueue());
        let slightly_at = now + ms(100) + TIMER_SLACK / 2;
        assert_eq!(pacer.turn(slightly, slightly_at), Turn::Go(Sent { at: slightly_at }));
        assert_eq!(pacer.turn(next, slightly_at + ms(90)), Turn::WaitUntil(now + ms(200)));
        assert!(matches!(pacer.turn(next, now + ms(200)), Turn::Go(_)));
        let very_at = now + ms(330);
        assert_eq!(pacer.turn(very, very_at), Turn::Go(Sent { at: very_at }));
        assert_eq!(pacer.turn(after, very_at + ms(70)), Turn::WaitUntil(very_at + ms(100) - TIMER_SLACK));
    }

    #[test]
    fn the_rate_doubles_each_round_trip_it_sets_the_pace_until_the_first_429() {
        // Answers 100 ms after each request, and no bound on requests in flight: the pacer sets the
        // pace. From 100/s, doubling every round trip, 200 requests are answered within 0.6 s, the
        // rate passing 600/s (doubling every second, they would take 1.3 s, at no more than 250/s).
        let mut pacer = Pacer::new(Start::default());
        let unlimited = RateLimit::per_second(1_000_000);
        let (seconds, _, throttled) = simulate_with(&mut pacer, unlimited, 200, usize::MAX, ms(100));
        assert_eq!(throttled, 0);
        assert!(seconds < 0.6, "{seconds:.2} s");
        assert!(pacer.rate() > 6.0 * INITIAL_RATE, "{}", pacer.rate());
        assert!(!pacer.learned().throttled);
    }

    #[test]
    fn a_rate_never_throttled_is_a_floor_not_a_ceiling() {
        // A one-profile run learns a rate no higher than it needed: the next, larger run is not
        // held to it.
        let mut small = Pacer::new(Start::default());
        drain(&mut small, Instant::now(), 1, |_| Answer::Accepted);
        assert_eq!(Pacer::new(small.learned()).rate(), INITIAL_RATE);
        assert_eq!(Pacer::new(Start { rate: 20.0, throttled: false }).rate(), INITIAL_RATE);
        // Above the first-contact rate, it is where the next one starts, still growing fast.
        assert_eq!(Pacer::new(Start { rate: 400.0, throttled: false }).rate(), 400.0);
        // A rate the service's 429s set is kept as it is.
        assert_eq!(Pacer::new(Start { rate: 20.0, throttled: true }).rate(), 20.0);
    }

    #[test]
    fn a_pacer_that_holds_nothing_back_does_not_grow() {
        let mut pacer = Pacer::new(Start::default());
        let start = Instant::now();
        // One request every 200 ms (the caller's own pace, slower than the pacer's): no growth.
        for i in 0..20u32 {
            let now = start + ms(200) * i;
            let ticket = pacer.enqueue();
            let Turn::Go(sent) = pacer.turn(ticket, now) else { panic!("never held back") };
            pacer.answered(sent, now + ms(50), Answer::Accepted);
        }
        assert_eq!(pacer.rate(), INITIAL_RATE);
    }

    #[test]
    fn a_429_cuts_by_the_share_of_recent_requests_accepted() {
        let start = Instant::now();
        // One refusal in twenty: a small cut (the share counts two more acceptances than seen, so
        // that a handful of answers cannot halve the rate).
        let mut pacer = Pacer::new(Start { rate: 20.0, throttled: true });
        let sent = drain(&mut pacer, start, 19, |_| Answer::Accepted);
        let before = pacer.rate();
        drain(&mut pacer, *sent.last().unwrap(), 1, |_| Answer::Throttled { retry_after: None });
        assert!((pacer.rate() - before * (19.0 + SHARE_PRIOR) / (20.0 + SHARE_PRIOR)).abs() < 1e-9);
        assert!(pacer.learned().throttled);
        // Twice what a bucket of burst 1 allows: cut to about its rate within a few seconds.
        let mut pacer = Pacer::new(Start { rate: 40.0, throttled: true });
        let mut limiter = Limiter::new(RateLimit { burst: Some(1), ..RateLimit::per_second(20) }, start);
        let mut now = start;
        for _ in 0..60 {
            let ticket = pacer.enqueue();
            let sent = loop {
                match pacer.turn(ticket, now) {
                    Turn::Go(sent) => break sent,
                    Turn::WaitUntil(at) => now = at,
                }
            };
            let answer =
                if limiter.admit(now).is_ok() { Answer::Accepted } else { Answer::Throttled { retry_after: None } };
            pacer.answered(sent, now, answer);
        }
        assert!((16.0..=21.0).contains(&pacer.rate()), "{}", pacer.rate());
    }

    #[test]
    fn a_single_early_429_does_not_halve_the_rate() {
        let mut pacer = Pacer::new(Start::default());
        let start = Instant::now();
        // The second request ever is refused (a burst-1 limiter, a little jitter): with so little
        // known, the cut is modest.
        drain(
            &mut pacer,
            start,
            2,
            |i| if i == 1 { Answer::Throttled { retry_after: None } } else { Answer::Accepted },
        );
        assert!(pacer.rate() >= 0.7 * INITIAL_RATE, "{}", pacer.rate());
    }

    #[test]
    fn after_a_cut_the_rate_rises_slowly_while_all_is_accepted() {
        let mut pacer = Pacer::new(Start { rate: 20.0, throttled: true });
        let start = Instant::now();
        drain(&mut pacer, start, 200, |_| Answer::Accepted);
        // Ten seconds or so at about 20/s, rising 3% a second.
        let expected =
            20.0 * PROBE_PER_SECOND.powf(pacer.history.back().unwrap().0.duration_since(start).as_secs_f64());
        assert!((pacer.rate() / expected - 1.0).abs() < 0.05, "{} against {expected}", pacer.rate());
        assert!(pacer.rate() < 30.0);
    }

    #[test]
    fn a_cut_applies_to_requests_already_waiting() {
        let mut pacer = Pacer::new(Start { rate: 20.0, throttled: true });
        let start = Instant::now();
        let a = pacer.enqueue();
        let Turn::Go(first) = pacer.turn(a, start) else { panic!() };
        let waiting: Vec<Ticket> = (0..4).map(|_| pacer.enqueue()).collect();
        assert_eq!(pacer.turn(waiting[0], start), Turn::WaitUntil(start + ms(50)));
        assert_eq!(pacer.turn(waiting[1], start), Turn::WaitUntil(start + ms(100)));
        // The answer is a 429, the only answer yet: the rate is cut by a third, and the slots of
        // the requests already waiting move with it.
        assert!(pacer.answered(first, start + ms(10), Answer::Throttled { retry_after: None }).is_some());
        assert!((pacer.rate() - 20.0 * SHARE_PRIOR / (1.0 + SHARE_PRIOR)).abs() < 1e-9);
        let interval = Duration::from_secs_f64(1.0 / pacer.rate());
        assert_eq!(pacer.turn(waiting[0], start + ms(50)), Turn::WaitUntil(start + interval));
        assert_eq!(pacer.turn(waiting[1], start + ms(60)), Turn::WaitUntil(start + interval * 2));
    }

    #[test]
    fn retry_after_holds_every_queued_request_until_then() {
        let mut pacer = Pacer::new(Start { rate: 100.0, throttled: true });
        let start = Instant::now();
        let first = pacer.enqueue();
        let Turn::Go(sent) = pacer.turn(first, start) else { panic!() };
        let waiting: Vec<Ticket> = (0..3).map(|_| pacer.enqueue()).collect();
        pacer.answered(sent, start + ms(5), Answer::Throttled { retry_after: Some(Duration::from_secs(2)) });
        let until = start + ms(5) + Duration::from_secs(2);
        let interval = Duration::from_secs_f64(1.0 / pacer.rate());
        for at in [start + ms(6), start + Duration::from_secs(1), until - ms(1)] {
            assert!(matches!(pacer.turn(waiting[0], at), Turn::WaitUntil(_)), "held at {:?}", at - start);
        }
        assert_eq!(pacer.turn(waiting[0], until - ms(1)), Turn::WaitUntil(until));
        assert_eq!(pacer.turn(waiting[2], until - ms(1)), Turn::WaitUntil(until + interval * 2));
        assert_eq!(pacer.turn(waiting[0], until), Turn::Go(Sent { at: until }));
        // A service asking for an hour is held to the cap.
        pacer.answered(Sent { at: until }, until, Answer::Throttled { retry_after: Some(Duration::from_secs(3600)) });
        let cap = until + MAX_RETRY_AFTER;
        assert!(matches!(pacer.turn(waiting[1], cap - ms(1)), Turn::WaitUntil(at) if at == cap));
    }

    #[test]
    fn the_learned_rate_is_where_the_next_pacer_starts() {
        let start = Instant::now();
        let mut first = Pacer::new(Start::default());
        drain(
            &mut first,
            start,
            60,
            |i| if i == 59 { Answer::Throttled { retry_after: None } } else { Answer::Accepted },
        );
        let learned = first.learned();
        assert!(learned.throttled && learned.rate > INITIAL_RATE);
        // A small last cut: the rate it cut from is what is kept.
        assert_eq!(learned.rate, first.last_cut_from.unwrap());
        let mut next = Pacer::new(learned);
        assert_eq!(next.rate(), learned.rate);
        let sent = drain(&mut next, start, 3, |_| Answer::Accepted);
        assert_eq!(sent[1] - sent[0], Duration::from_secs_f64(1.0 / learned.rate));
        // Reached without a 429: start a second's growth above it, and keep growing fast.
        let mut unthrottled = Pacer::new(Start { rate: 200.0, throttled: false });
        drain(&mut unthrottled, start, 400, |_| Answer::Accepted);
        assert!(unthrottled.rate() > 300.0);
        assert_eq!(unthrottled.learned(), Start { rate: unthrottled.rate(), throttled: false });
        // Nonsense starts are clamped.
        assert_eq!(Pacer::new(Start { rate: f64::NAN, throttled: true }).rate(), INITIAL_RATE);
        assert_eq!(Pacer::new(Start { rate: 1e12, throttled: true }).rate(), MAX_RATE);
        assert_eq!(Pacer::new(Start { rate: 0.0, throttled: true }).rate(), MIN_RATE);
    }

    #[test]
    fn a_spent_fixed_window_sets_the_rate_and_is_waited_out() {
        // First contact with 10 a second in fixed windows, answers at once: the pacer spends the
        // first window in a fraction of a second. Once everything after its ten is refused, ten a
        // second is the rate, and nothing leaves before the window has turned.
        let start = Instant::now();
        let mut limiter = Limiter::new(RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(10) }, start);
        let mut pacer = Pacer::new(Start::default());
        let (mut now, mut refused) = (start, 0);
        // Always one more waiting: the pacer sets the pace.
        let mut next = pacer.enqueue();
        let pause = loop {
            assert!(refused < 50, "no pause");
            let ticket = std::mem::replace(&mut next, pacer.enqueue());
            let sent = loop {
                match pacer.turn(ticket, now) {
                    Turn::Go(sent) => break sent,
                    Turn::WaitUntil(at) => now = at,
                }
            };
            let answer = if limiter.admit(now).is_ok() {
                Answer::Accepted
            } else {
                refused += 1;
                Answer::Throttled { retry_after: None }
            };
            if let Some(Change::Pause(pause)) = pacer.answered(sent, now, answer) {
                break pause;
            }
        };
        assert!(now < start + ms(500), "the window was spent at {:?}", now - start);
        assert!(refused <= 3, "{refused} refused before the pause");
        assert!((9.0..=10.0).contains(&pacer.rate()), "{}", pacer.rate());
        assert_eq!(now + pause, start + RECENT);
    }

    #[test]
    fn throttling_that_does_not_depend_on_the_rate_does_not_crush_it() {
        let mut pacer = Pacer::new(Start::default());
        let start = Instant::now();
        // Every fifth request refused, whatever the pace (a service shedding load at random).
        drain(&mut pacer, start, 200, |i| {
            if i % 5 == 4 {
                Answer::Throttled { retry_after: None }
            } else {
                Answer::Accepted
            }
        });
        // Cut to about half of where the spell began, then held there.
        assert!(pacer.rate() >= 0.9 * NOISE_DEPTH * INITIAL_RATE, "{}", pacer.rate());
    }

    #[test]
    fn cancelled_requests_leave_the_queue() {
        let mut pacer = Pacer::new(Start { rate: 20.0, throttled: true });
        let start = Instant::now();
        let (a, b, c) = (pacer.enqueue(), pacer.enqueue(), pacer.enqueue());
        assert!(matches!(pacer.turn(a, start), Turn::Go(_)));
        assert_eq!(pacer.turn(c, start), Turn::WaitUntil(start + ms(100)));
        pacer.cancel(b);
        assert_eq!(pacer.turn(c, start), Turn::WaitUntil(start + ms(50)));
    }

    /// Simulates `count` requests, at most `in_flight` at once, each answered `latency` after it
    /// left by a limiter of the fake's; returns (seconds, calls, throttled answers). Throttled
    /// requests are sent again (through the pacer), as the SDK's retries are.
    fn simulate(limit: RateLimit, count: usize, in_flight: usize, latency: Duration) -> (f64, usize, usize) {
        simulate_with(&mut Pacer::new(Start::default()), limit, count, in_flight, latency)
    }

    fn simulate_with(
        pacer: &mut Pacer,
        limit: RateLimit,
        count: usize,
        in_flight: usize,
        latency: Duration,
    ) -> (f64, usize, usize) {
        let start = Instant::now();
        let mut limiter = Limiter::new(limit, start);
        let (mut done, mut calls, mut throttled) = (0, 0, 0);
        let mut now = start;
        // (answer time, sent, accepted); waiting tickets.
        let mut flying: Vec<(Instant, Sent, bool)> = Vec::new();
        let mut waiting: VecDeque<Ticket> = VecDeque::new();
        let mut started = 0;
        while done < count {
            while started < count && flying.len() + waiting.len() < in_flight {
                waiting.push_back(pacer.enqueue());
                started += 1;
            }
            let mut next_wake = None;
            while let Some(ticket) = waiting.front().copied() {
                match pacer.turn(ticket, now) {
                    Turn::Go(sent) => {
                        waiting.pop_front();
                        calls += 1;
                        let accepted = limiter.admit(now).is_ok();
                        let answer_at = if accepted { now + latency } else { now + latency.min(ms(1)) };
                        flying.push((answer_at, sent, accepted));
                    }
                    Turn::WaitUntil(at) => {
                        next_wake = Some(at);
                        break;
                    }
                }
            }
            let next_answer = flying.iter().map(|f| f.0).min();
            now = match (next_wake, next_answer) {
                (Some(a), Some(b)) => a.min(b),
                (Some(a), None) | (None, Some(a)) => a,
                (None, None) => break,
            };
            let (due, rest): (Vec<_>, Vec<_>) = flying.into_iter().partition(|f| f.0 <= now);
            flying = rest;
            for (_, sent, accepted) in due {
                if accepted {
                    pacer.answered(sent, now, Answer::Accepted);
                    done += 1;
                } else {
                    throttled += 1;
                    let cut = pacer.answered(sent, now, Answer::Throttled { retry_after: None });
                    if std::env::var("TRACE").is_ok() {
                        eprintln!(
                            "{:8.3} sent {:8.3} {cut:?}",
                            (now - start).as_secs_f64(),
                            (sent.at - start).as_secs_f64()
                        );
                    }
                    waiting.push_back(pacer.enqueue());
                }
            }
        }
        (now.duration_since(start).as_secs_f64(), calls, throttled)
    }

    #[test]
    fn every_limiter_shape_is_found_quickly_with_few_refusals() {
        let mut missed = Vec::new();
        for rate in [10u32, 20] {
            for (shape, limit) in [
                ("burst 1", RateLimit { burst: Some(1), ..RateLimit::per_second(rate) }),
                ("burst = rate", RateLimit::per_second(rate)),
                ("fixed window", RateLimit { window: RateWindow::Fixed, ..RateLimit::per_second(rate) }),
            ] {
                for latency in [ms(30), Duration::from_micros(300)] {
                    let (seconds, calls, throttled) = simulate(limit, 200, 16, latency);
                    let ideal = 200.0 / f64::from(rate);
                    let case = format!("{rate}/s {shape}, answers in {latency:?}");
                    let figure = format!("{case}: {:.2}x, {throttled} of {calls} throttled", seconds / ideal);
                    eprintln!("{figure}");
                    if seconds > 1.2 * ideal || throttled as f64 >= 0.08 * calls as f64 {
                        missed.push(figure);
                    }
                }
            }
        }
        assert!(missed.is_empty(), "slower than 1.2x or 8% throttled or more: {missed:#?}");
    }
}
