//! The job entity as the runner sees it.

use crate::ids::JobId;
use crate::BoxError;
use chrono::{DateTime, Utc};
use std::fmt;

/// Which handler runs a job. Stored as text; the database CHECK constraint lists
/// the same values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    TaskReminder,
    WebhookDelivery,
}

impl JobKind {
    pub const ALL: [JobKind; 2] = [JobKind::TaskReminder, JobKind::WebhookDelivery];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::TaskReminder => "task_reminder",
            JobKind::WebhookDelivery => "webhook_delivery",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which job loops run a job. Every worker process runs loops per lane, and a
/// loop claims only its lane's kinds: a webhook receiver that never answers
/// can hold delivery loops for their whole timeout, but never a reminder's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Reminders,
    Deliveries,
}

impl Lane {
    pub const ALL: [Lane; 2] = [Lane::Reminders, Lane::Deliveries];

    /// The kinds this lane's loops claim.
    pub fn kinds(self) -> &'static [JobKind] {
        match self {
            Lane::Reminders => &[JobKind::TaskReminder],
            Lane::Deliveries => &[JobKind::WebhookDelivery],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Reminders => "reminders",
            Lane::Deliveries => "deliveries",
        }
    }
}

/// How many deliveries may be in flight at once, across every worker, to one
/// receiver host and for one team. A due delivery over either bound stays
/// queued — it holds no loop while it waits — and the next due delivery of
/// another host or team is claimed instead: one team's slow receivers can
/// occupy at most `per_team` delivery loops, never all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryBounds {
    pub per_host: u32,
    pub per_team: u32,
}

impl Default for DeliveryBounds {
    /// `OPSFLOW_WEBHOOK_IN_FLIGHT_PER_HOST` 2, `OPSFLOW_WEBHOOK_IN_FLIGHT_PER_TEAM` 4.
    fn default() -> Self {
        Self {
            per_host: 2,
            per_team: 4,
        }
    }
}

/// The fencing token of one claim. Every claim draws a new one, and only the
/// holder of the current token can record the job's outcome: a job loop whose
/// lease expired (and whose job another loop re-claimed, perhaps in the same
/// process, under the same `locked_by`) presents a stale token and records
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseToken(pub uuid::Uuid);

/// A claimed job. `attempt` counts this run (1 on the first try); `lease` is
/// this claim's fencing token.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub payload: serde_json::Value,
    pub attempt: u32,
    pub lease: LeaseToken,
}

/// Whether an outcome was written: `LeaseLost` when the claim's token no longer
/// holds the job (its lease expired and another claim took it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Written,
    LeaseLost,
}

/// What one run of a claimed job came to, written under the claim's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    /// Run again at `run_at`; `error` is kept as the job's `last_error`.
    Retry {
        error: String,
        run_at: DateTime<Utc>,
    },
    /// Given up: stored as `dead` with `error` for an operator.
    Dead {
        error: String,
    },
}

/// A claimed job's outcome, with the lease token that must still hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub id: JobId,
    pub lease: LeaseToken,
    pub outcome: Outcome,
}

/// Why a handler did not finish a job, with the error that caused it.
#[derive(Debug, thiserror::Error)]
pub enum JobFailure {
    /// Worth another try later (network error, 5xx, dependency down).
    #[error("retryable")]
    Retryable(#[source] BoxError),
    /// Will never succeed (bad payload, target gone): dead-letter at once.
    #[error("permanent")]
    Permanent(#[source] BoxError),
}

/// What was being done when a job's cause happened, kept in front of it.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
struct While {
    what: &'static str,
    #[source]
    cause: BoxError,
}

impl JobFailure {
    pub fn retryable(cause: impl Into<BoxError>) -> Self {
        Self::Retryable(cause.into())
    }

    pub fn permanent(cause: impl Into<BoxError>) -> Self {
        Self::Permanent(cause.into())
    }

    /// Retryable: `cause` happened while doing `what` (`"delivery failed"`).
    pub fn retryable_in(what: &'static str, cause: impl Into<BoxError>) -> Self {
        Self::retryable(While {
            what,
            cause: cause.into(),
        })
    }

    /// Permanent: `cause` happened while doing `what` (`"reminder payload"`).
    pub fn permanent_in(what: &'static str, cause: impl Into<BoxError>) -> Self {
        Self::permanent(While {
            what,
            cause: cause.into(),
        })
    }

    /// The cause and every cause behind it, joined with `: `: what a retried
    /// job's `last_error` records.
    pub fn causes(&self) -> String {
        let mut parts = Vec::new();
        let mut next = std::error::Error::source(self);
        while let Some(cause) = next {
            parts.push(cause.to_string());
            next = cause.source();
        }
        parts.join(": ")
    }

    /// `retryable: ...` or `permanent: ...` and the causes: what a
    /// dead-lettered job's `last_error` records.
    pub fn report(&self) -> String {
        format!("{self}: {}", self.causes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("delivery failed")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn a_failure_reports_its_whole_cause_chain() {
        let cause = Outer(std::io::Error::other("connection refused"));
        let failure = JobFailure::retryable(cause);
        assert_eq!(failure.causes(), "delivery failed: connection refused");
        assert_eq!(
            failure.report(),
            "retryable: delivery failed: connection refused"
        );
        let failure = JobFailure::permanent("bad payload");
        assert_eq!(failure.report(), "permanent: bad payload");
        let failure = JobFailure::permanent_in("webhook url", "relative URL");
        assert_eq!(failure.report(), "permanent: webhook url: relative URL");
        let failure = JobFailure::retryable_in("delivery failed", "timed out");
        assert_eq!(failure.report(), "retryable: delivery failed: timed out");
    }

    #[test]
    fn every_kind_belongs_to_exactly_one_lane() {
        for kind in JobKind::ALL {
            let lanes = Lane::ALL
                .into_iter()
                .filter(|lane| lane.kinds().contains(&kind))
                .count();
            assert_eq!(lanes, 1, "{kind}");
        }
        assert_eq!(Lane::Reminders.kinds(), [JobKind::TaskReminder]);
        let names: Vec<&str> = Lane::ALL.into_iter().map(Lane::as_str).collect();
        assert_eq!(names, ["reminders", "deliveries"], "the names logs carry");
        assert_eq!(Lane::Deliveries.kinds(), [JobKind::WebhookDelivery]);
    }

    #[test]
    fn a_kind_displays_as_its_stored_name() {
        assert_eq!(JobKind::WebhookDelivery.to_string(), "webhook_delivery");
    }

    #[test]
    fn every_kind_parses_back_from_its_stored_name() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("nope"), None);
    }
}
