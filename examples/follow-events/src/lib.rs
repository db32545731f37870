//! A client of `GET /api/v1/projects/{id}/events` that does what a browser's
//! `EventSource` does, in Rust: reads the frames, remembers the last event
//! id and the server's `retry:`, and after any disconnect reconnects — to
//! the next of its base URLs, as a client behind a balancer lands on
//! another replica — with `Last-Event-ID`, so it misses nothing and sees
//! nothing twice. It stops on `revoked` or `deleted`, or when told to.
//!
//! `cargo run -p follow-events -- URL[,URL…] PROJECT_ID` with the access
//! token in `OPSFLOW_TOKEN` prints one line per event.

use std::time::Duration;

/// One frame of the stream, as `EventSource` parses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Option<String>,
    pub comment: Option<String>,
    pub retry: Option<u64>,
}

/// Parses one frame (the text up to its blank line).
pub fn parse_frame(raw: &str) -> Frame {
    let mut frame = Frame::default();
    for line in raw.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            frame.comment = Some(comment.trim().to_owned());
        } else if let Some((field, value)) = line.split_once(':') {
            let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
            match field {
                "id" => frame.id = Some(value),
                "event" => frame.event = Some(value),
                "data" => frame.data = Some(value),
                "retry" => frame.retry = value.parse().ok(),
                _ => {}
            }
        }
    }
    frame
}

/// What the caller wants after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

pub struct Follower {
    pub bases: Vec<String>,
    pub project: String,
    pub token: String,
    /// The last event id seen: sent as `Last-Event-ID` on every reconnect.
    pub last_event_id: Option<String>,
    /// The server's `retry:`, until it sends one.
    pub retry: Duration,
    client: reqwest::Client,
    next_base: usize,
}

impl Follower {
    pub fn new(bases: Vec<String>, project: String, token: String) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            bases,
            project,
            token,
            last_event_id: None,
            retry: Duration::from_secs(3),
            client: reqwest::Client::new(),
            next_base: 0,
        }
    }

    /// Follows until `on_event` says stop or the server sends `revoked` or
    /// `deleted` (both are handed to `on_event` first). Reconnects after
    /// every disconnect or refused connection, waiting `retry` between.
    pub async fn follow(&mut self, mut on_event: impl FnMut(&Frame) -> Flow) {
        loop {
            if let Some(Flow::Stop) = self.connection(&mut on_event).await {
                return;
            }
            tokio::time::sleep(self.retry).await;
        }
    }

    /// One connection's life: `Some(Stop)` when following is over, `None`
    /// when the connection ended and the client should reconnect.
    async fn connection(&mut self, on_event: &mut impl FnMut(&Frame) -> Flow) -> Option<Flow> {
        let base = self.bases[self.next_base % self.bases.len()].clone();
        self.next_base += 1;
        let mut request = self
            .client
            .get(format!("{base}/api/v1/projects/{}/events", self.project))
            .header("Accept", "text/event-stream")
            .bearer_auth(&self.token);
        if let Some(last) = &self.last_event_id {
            request = request.header("Last-Event-ID", last);
        }
        let mut response = request.send().await.ok()?;
        if !response.status().is_success() {
            // 404: no access any more; 429/503: try again later (elsewhere).
            return (response.status() == 404).then_some(Flow::Stop);
        }
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame = parse_frame(&buffer[..end + 2]);
                buffer.drain(..end + 2);
                if let Some(flow) = self.handle(&frame, on_event) {
                    return Some(flow);
                }
            }
        }
        None
    }

    fn handle(&mut self, frame: &Frame, on_event: &mut impl FnMut(&Frame) -> Flow) -> Option<Flow> {
        if let Some(retry) = frame.retry {
            self.retry = Duration::from_millis(retry);
        }
        let name = frame.event.as_deref()?;
        if let Some(id) = &frame.id {
            self.last_event_id = Some(id.clone());
        }
        let flow = on_event(frame);
        (flow == Flow::Stop || name == "revoked" || name == "deleted").then_some(Flow::Stop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_parsed_as_event_source_does() {
        let frame = parse_frame("id: 1\nevent: task.created\ndata: {\"a\":1}\n\n");
        assert_eq!(frame.id.as_deref(), Some("1"));
        assert_eq!(frame.event.as_deref(), Some("task.created"));
        assert_eq!(frame.data.as_deref(), Some("{\"a\":1}"));
        assert_eq!(
            parse_frame(": keep-alive\n\n").comment.as_deref(),
            Some("keep-alive")
        );
        assert_eq!(parse_frame("retry: 2000\n\n").retry, Some(2000));
    }
}
