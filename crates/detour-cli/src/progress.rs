//! Progress for compiles and replays that take over a second, drawn with `indicatif` on
//! standard error, and only when standard error is a terminal: piped output, logs and tests
//! never see a bar.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Work shorter than this shows nothing.
pub const DELAY: Duration = Duration::from_secs(1);

/// How often a replay looks at the clock: every this many requests.
const CLOCK_EVERY: u64 = 256;

/// A spinner for one step that cannot count its work (parsing and compiling): a thread waits
/// [`DELAY`], then spins until the step ends (when the spinner is dropped).
pub struct Spinner {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    /// Starts a spinner saying `message`, shown after [`DELAY`] on a terminal.
    pub fn start(message: &'static str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { stop: None, thread: None };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if stopped.recv_timeout(DELAY) != Err(mpsc::RecvTimeoutError::Timeout) {
                return;
            }
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})").unwrap_or(ProgressStyle::default_spinner()),
            );
            bar.set_message(message);
            bar.enable_steady_tick(Duration::from_millis(100));
            let _ = stopped.recv();
            bar.finish_and_clear();
        });
        Spinner { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A bar over the bytes of a request log being replayed (a spinner when its length is unknown,
/// as for standard input), drawn once the replay has taken [`DELAY`].
pub struct Replay {
    bar: ProgressBar,
    terminal: bool,
    delay: Duration,
    start: Instant,
    requests: u64,
    shown: bool,
}

impl Replay {
    /// A replay of `len` bytes (when known), drawn on a terminal after [`DELAY`].
    pub fn new(len: Option<u64>) -> Replay {
        Replay::with(len, std::io::stderr().is_terminal(), DELAY)
    }

    /// [`Replay::new`] with the terminal test and the delay given (for tests).
    pub fn with(len: Option<u64>, terminal: bool, delay: Duration) -> Replay {
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
        let template = if len.is_some() {
            "{bar:40} {percent}% {msg} ({elapsed}, {eta} left)"
        } else {
            "{spinner} {msg} ({elapsed})"
        };
        bar.set_style(ProgressStyle::with_template(template).unwrap_or(ProgressStyle::default_bar()));
        Replay { bar, terminal, delay, start: Instant::now(), requests: 0, shown: false }
    }

    /// One more request, whose line was `bytes` long (its newline included).
    pub fn advance(&mut self, bytes: u64) {
        self.requests += 1;
        self.bar.inc(bytes);
        if !self.shown && self.terminal && self.requests % CLOCK_EVERY == 1 && self.start.elapsed() >= self.delay {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        if self.shown && self.requests % CLOCK_EVERY == 0 {
            self.bar.set_message(format!("{} requests", self.requests));
        }
    }

    /// True once the bar is drawn.
    pub fn shown(&self) -> bool {
        self.shown
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The length of a file to replay, `None` for standard input (`-`).
pub fn length_of(path: &std::path::Path) -> Option<u64> {
    if path.as_os_str() == "-" {
        return None;
    }
    std::fs::metadata(path).ok().map(|m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replay_is_never_drawn_off_a_terminal() {
        let mut replay = Replay::with(Some(1000), false, Duration::ZERO);
        for _ in 0..1000 {
            replay.advance(1);
        }
        assert!(!replay.shown());
    }

    #[test]
    fn a_replay_is_drawn_on_a_terminal_only_after_the_delay() {
        let mut quick = Replay::with(Some(10), true, Duration::from_secs(3600));
        quick.advance(1);
        assert!(!quick.shown(), "a replay shorter than the delay shows nothing");
        let mut slow = Replay::with(Some(10), true, Duration::ZERO);
        slow.advance(1);
        assert!(slow.shown());
    }
}
