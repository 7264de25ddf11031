-- Operator profiles: what an operator sets about themselves.
ALTER TABLE operators ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE operators ADD COLUMN transcript_email TEXT NOT NULL DEFAULT '';
ALTER TABLE operators ADD COLUMN notify_colleague_pickup SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN alert_sound SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE operators ADD COLUMN deleted_at BIGINT;
