-- The airpg catalog: two-way sync in the audit trail (issue 16). Row writes
-- stay audited by airpg.audit_row (catalog v6); besides them the trail now
-- holds every conflict and every resolution as a row of its own (operation
-- CONFLICT | RESOLVE, written by src/sync/audit_trail.cc), and the audit row
-- of a Postgres write says when it was pushed to Airtable and as which
-- record. A push marks the write's own row rather than adding one, so one
-- Postgres update stays one audit row; airpg's echo writes add none.

ALTER TABLE airpg.audit_log DROP CONSTRAINT audit_log_operation_check;
ALTER TABLE airpg.audit_log ADD CONSTRAINT audit_log_operation_check
  CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'CONFLICT', 'RESOLVE'));
-- CONFLICT and RESOLVE: the field, rule, values and outcome.
ALTER TABLE airpg.audit_log ADD COLUMN detail jsonb;
-- A Postgres write's row: when its change reached Airtable, and the record.
ALTER TABLE airpg.audit_log ADD COLUMN pushed_at timestamptz;
ALTER TABLE airpg.audit_log ADD COLUMN pushed_record text;
-- A push finds the audit rows of the transaction that made its changes.
CREATE INDEX audit_log_txid_idx ON airpg.audit_log (txid, table_name, row_id);
