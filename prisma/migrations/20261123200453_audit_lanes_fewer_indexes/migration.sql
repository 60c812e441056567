-- DropIndex
DROP INDEX "AuditEvent_seq_key";

-- DropIndex
DROP INDEX "AuditEvent_ts_id_idx";
