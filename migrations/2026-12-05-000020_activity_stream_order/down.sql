DROP INDEX activity_logs_stream_idx;
ALTER TABLE activity_logs DROP COLUMN txid;
