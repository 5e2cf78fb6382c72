-- Scheduled maintenance (jobs::schedule): each storage's last health check, and the indexes
-- that let the sweeps find what is due without scanning whole tables.

-- The 5-minute `check_storages` task writes the outcome of its probe here; the storage API
-- shows it. NULL until the first check.
ALTER TABLE storages
    ADD COLUMN health_ok          boolean,
    ADD COLUMN health_checked_at  timestamptz,
    ADD COLUMN health_error       text;

-- `purge_deleted_files`: the trash, oldest first.
CREATE INDEX files_deleted_at_idx ON files (deleted_at) WHERE deleted_at IS NOT NULL;
-- `sweep_abandoned_uploads`: direct uploads never completed.
CREATE INDEX files_awaiting_created_idx ON files (created_at) WHERE upload_state = 'awaiting_upload';
-- `expire_shares`: live shares with an expiry.
CREATE INDEX file_shares_live_expiry_idx ON file_shares (expires_at)
    WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
-- `enforce_retention`: audit entries and finished webhook events by age.
CREATE INDEX audit_logs_created_at_idx ON audit_logs (created_at);
CREATE INDEX webhook_events_finished_idx ON webhook_events (processed_at) WHERE state <> 'pending';
-- `sweep_stuck_processing`: the records still open.
CREATE INDEX file_processing_jobs_open_idx ON file_processing_jobs (created_at)
    WHERE status IN ('pending', 'processing');
