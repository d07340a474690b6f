//! The client's keepalive state, as libvirt's `virKeepAlive` keeps it: after `interval` without
//! a packet from the server, send a PING; every packet (of any kind) from the server restores
//! the count; when `count` PINGs in a row went unanswered for another interval each, the
//! connection is dead.

use std::time::{Duration, Instant};

/// libvirt's default interval (`keepalive_interval` of virsh and the client config).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// libvirt's default number of unanswered PINGs (`keepalive_count`).
pub const DEFAULT_COUNT: u32 = 5;

/// What the timer should do now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing yet; wake up again later.
    Wait,
    /// Send a PING.
    Ping,
    /// The server stopped answering: close the connection.
    Dead,
}

/// Keepalive state of one connection.
#[derive(Debug)]
pub struct Keepalive {
    /// `None` while keepalive is off (the server does not support it, or it was disabled).
    interval: Option<Duration>,
    count: u32,
    countdown: u32,
    /// When the current interval started: the last packet received or PING sent.
    interval_start: Instant,
}

impl Keepalive {
    /// Keepalive that is off until [`Keepalive::start`].
    pub fn new(now: Instant) -> Keepalive {
        Keepalive {
            interval: None,
            count: DEFAULT_COUNT,
            countdown: DEFAULT_COUNT,
            interval_start: now,
        }
    }

    /// Turns keepalive on (or changes it); `interval` `None` turns it off.
    pub fn start(&mut self, interval: Option<Duration>, count: u32, now: Instant) {
        self.interval = interval.filter(|i| !i.is_zero());
        self.count = count;
        self.countdown = count;
        self.interval_start = now;
    }

    /// Whether PINGs are being sent.
    pub fn is_on(&self) -> bool {
        self.interval.is_some()
    }

    /// A packet arrived: the server is alive.
    pub fn received(&mut self, now: Instant) {
        self.interval_start = now;
        self.countdown = self.count;
    }

    /// When the timer should next look, if keepalive is on.
    pub fn next_wake(&self) -> Option<Instant> {
        self.interval.map(|i| self.interval_start + i)
    }

    /// The timer fired at `now`.
    pub fn on_timer(&mut self, now: Instant) -> Action {
        let Some(interval) = self.interval else {
            return Action::Wait;
        };
        if now < self.interval_start + interval {
            return Action::Wait;
        }
        if self.countdown == 0 {
            return Action::Dead;
        }
        self.countdown -= 1;
        self.interval_start = now;
        Action::Ping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_after_silence_and_dies_after_count_unanswered() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut ka = Keepalive::new(t0);
        assert_eq!(ka.on_timer(t0 + 10 * s), Action::Wait, "off by default");
        ka.start(Some(s), 2, t0);
        assert_eq!(ka.next_wake(), Some(t0 + s));
        assert_eq!(ka.on_timer(t0 + s / 2), Action::Wait);
        assert_eq!(ka.on_timer(t0 + s), Action::Ping);
        assert_eq!(ka.on_timer(t0 + 2 * s), Action::Ping);
        assert_eq!(ka.on_timer(t0 + 3 * s), Action::Dead);
    }

    #[test]
    fn any_packet_restores_the_count() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut ka = Keepalive::new(t0);
        ka.start(Some(s), 1, t0);
        assert_eq!(ka.on_timer(t0 + s), Action::Ping);
        ka.received(t0 + s + s / 2);
        assert_eq!(ka.on_timer(t0 + 2 * s), Action::Wait);
        assert_eq!(ka.on_timer(t0 + 3 * s), Action::Ping);
        assert_eq!(ka.on_timer(t0 + 4 * s), Action::Dead);
        ka.start(None, 1, t0);
        assert!(!ka.is_on());
        assert_eq!(ka.next_wake(), None);
    }
}
