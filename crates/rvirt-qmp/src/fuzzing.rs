//! The entry point of the `qmp_line` fuzz target: arbitrary bytes as a monitor's output.

use crate::wire::{LineSplitter, Message, parse_message};

/// Feeds `data` through the line splitter (in uneven chunks, with a small cap) and parses every
/// line, including the typed view of events. Must never panic or grow without bound.
pub fn fuzz_line(data: &[u8]) {
    let mut splitter = LineSplitter::new(4096);
    for chunk in data.chunks(97) {
        let Ok(lines) = splitter.push(chunk) else {
            return;
        };
        assert!(splitter.pending() <= 4097);
        for line in lines {
            if let Ok(Message::Event(e)) = parse_message(&line) {
                let _ = e.kind();
            }
        }
    }
}
