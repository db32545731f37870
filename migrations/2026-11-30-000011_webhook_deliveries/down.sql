DROP INDEX jobs_queued_deliveries_idx;
DROP TRIGGER webhook_deliveries_on_activity ON activity_logs;
DROP FUNCTION webhook_enqueue_activity();
