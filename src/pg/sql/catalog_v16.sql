-- Issue 16: the echoes of airpg's own writes to Airtable. Each record
-- Airtable answered a write of the outbox with is kept here (its cells by
-- field id, in the REST form), written in the transaction that applies the
-- answer to the mirror (sync/outbox_echo.h). A webhook payload whose cells
-- say the same is that write coming back: the payload cycle passes it
-- without reading the record again (sync/echo_match.h) and deletes the
-- echoes it used, in the transaction that moves the cursor. Echoes nobody
-- used (a payload filtered out, a hook replaced) are dropped after a day.
CREATE TABLE airpg.outbox_echoes (
  id bigserial PRIMARY KEY,
  base_id text NOT NULL,
  table_id text NOT NULL,
  record_id text NOT NULL,
  cells jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_echoes_record ON airpg.outbox_echoes (base_id, record_id, id);
CREATE INDEX outbox_echoes_recorded_at ON airpg.outbox_echoes (recorded_at);
