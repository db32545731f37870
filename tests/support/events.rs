//! A live-event client for tests: opens a project's stream and reads its
//! frames as a browser's `EventSource` would parse them.

use crate::{TestApp, TestUser};
use std::time::Duration;

/// The longest a test waits for a frame it expects: a bound on a hang, not
/// a sleep (every wait returns as soon as the frame is there).
pub const FRAME_WAIT: Duration = Duration::from_secs(10);

pub use follow_events::Frame;

/// Reading an event frame in tests.
pub trait FrameExt {
    /// The event's name (`""` for comments and `retry:`).
    fn name(&self) -> &str;
    fn json(&self) -> serde_json::Value;
}

impl FrameExt for Frame {
    fn name(&self) -> &str {
        self.event.as_deref().unwrap_or("")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.data.as_deref().unwrap_or("null")).expect("event data is JSON")
    }
}

pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl TestApp {
    /// `GET /projects/{project}/events` as `user`, resuming after `last`.
    pub async fn open_events(
        &self,
        user: &TestUser,
        project: &str,
        last: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .get(self.url(&format!("/api/v1/projects/{project}/events")))
            .header("Accept", "text/event-stream")
            .bearer_auth(&user.access_token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        request.send().await.expect("events request")
    }

    /// An open stream (asserting its `200`).
    pub async fn events(&self, user: &TestUser, project: &str, last: Option<&str>) -> EventStream {
        let response = self.open_events(user, project, last).await;
        assert_eq!(response.status(), 200, "open the event stream");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        EventStream::new(response)
    }
}

impl EventStream {
    pub fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next frame of any kind; `None` once the server ended the stream.
    ///
    /// # Panics
    /// When nothing arrives within `FRAME_WAIT`.
    pub async fn frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                return Some(follow_events::parse_frame(&raw));
            }
            let chunk = tokio::time::timeout(FRAME_WAIT, self.response.chunk())
                .await
                .expect("a frame within the wait")
                .ok()
                .flatten()?;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8 frames"));
        }
    }

    /// The next event, skipping comments and `retry:`; `None` at the end.
    pub async fn event(&mut self) -> Option<Frame> {
        loop {
            let frame = self.frame().await?;
            if frame.event.is_some() {
                return Some(frame);
            }
        }
    }

    /// The next `count` events' names.
    pub async fn names(&mut self, count: usize) -> Vec<String> {
        let mut names = Vec::new();
        for _ in 0..count {
            names.push(self.event().await.expect("an event").name().to_owned());
        }
        names
    }
}
