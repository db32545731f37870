-- Business rules leave the database (docs/architecture.md → Triggers).
--
-- Reminder arming and webhook fan-out were triggers: the rule "a live,
-- assigned, due, open task has one reminder" and the public webhook payload
-- lived here, beside their Rust copies. They are now decided by the domain
-- (domain::notifications::arm, domain::webhooks::fan_out) and enqueued by the
-- write's own transaction as typed jobs (domain::outbox::Outbox, stored by
-- adapters-postgres/src/outbox.rs in the same statement as the activity
-- entry). Jobs already queued keep their payloads: both shapes are the same.
DROP TRIGGER task_reminder_on_insert ON tasks;
DROP TRIGGER task_reminder_on_update ON tasks;
DROP FUNCTION task_reminder_sync();
DROP FUNCTION task_reminder_key(uuid, timestamptz);
DROP TRIGGER webhook_deliveries_on_activity ON activity_logs;
DROP FUNCTION webhook_enqueue_activity();
