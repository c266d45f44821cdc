-- Issue 18: the evaluator on Postgres writes (sync/evaluated_fields.h).
-- Formula fields the SQL compiler refuses are computed by airpg after each
-- Postgres write and written into their stored columns; a row's entry here
-- says when that last happened, so a reader can tell whether the values it
-- reads are current: they are once evaluated_at is past the row's write
-- (airtable_modified_time, which Postgres stamps on its own writes). Rows
-- of airtable-authority tables have none (Airtable computes them).
CREATE TABLE airpg.evaluated_rows (
  table_id     text NOT NULL,
  row_id       bigint NOT NULL,
  evaluated_at timestamptz NOT NULL,
  PRIMARY KEY (table_id, row_id)
);

-- Which captured changes the evaluator has taken (NULL: not yet). Every
-- dispatcher round evaluates the new ones first, before their debounce
-- lets them be claimed; the partial index keeps that test cheap.
ALTER TABLE airpg.outbox ADD COLUMN evaluated_at timestamptz;
CREATE INDEX outbox_unevaluated ON airpg.outbox (base_id, outbox_id)
  WHERE status = 'pending' AND evaluated_at IS NULL;
