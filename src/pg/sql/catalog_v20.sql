-- Issue 16: a read of Airtable that began before a delete was applied must
-- not bring the deleted record back (sync/row_upsert.cc). A Postgres delete,
-- hard or soft, is remembered by its outbox change (with the time it reached
-- Airtable, done_at); the inbound apply looks it up by record id for every
-- record a read lists, so those changes are indexed by record id.
CREATE INDEX outbox_deletes_by_record_idx ON airpg.outbox (table_id, airtable_id)
  WHERE field_id IS NULL AND airtable_id IS NOT NULL
    AND (operation = 'DELETE' OR 'deleted_at' = ANY (changed_columns));
