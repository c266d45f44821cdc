-- The airpg catalog, version 2: the state of Airtable → Postgres sync. Every
-- position (payload cursor, poll watermark) is written in the same transaction
-- as the changes it covers, so a sync killed anywhere re-reads at most what it
-- had not committed and applies it again idempotently.

-- Per base: the webhook airpg owns there and how far its payloads are applied.
CREATE TABLE airpg.sync_bases (
  base_id            text PRIMARY KEY REFERENCES airpg.bases ON DELETE CASCADE,
  webhook_id         text,
  mac_secret_base64  text,         -- verifies pings; Airtable shows it only at creation
  notification_url   text,
  webhook_expires_at timestamptz,
  cursor             bigint NOT NULL DEFAULT 1,  -- the next payload to apply
  last_ping_at       timestamptz,
  last_payload_at    timestamptz,
  updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Per table: its lane and where its poll and sweep stand.
CREATE TABLE airpg.sync_tables (
  table_id       text PRIMARY KEY REFERENCES airpg.tables ON DELETE CASCADE,
  base_id        text NOT NULL REFERENCES airpg.bases ON DELETE CASCADE,
  lane           text NOT NULL DEFAULT 'normal' CHECK (lane IN ('fast', 'normal', 'slow')),
  poll_watermark timestamptz,  -- changes made before it have been polled
  last_poll_at   timestamptz,
  last_sweep_at  timestamptz,
  last_apply_at  timestamptz,
  held_deletes   jsonb,        -- a sweep held back for deleting too much: {count, total, at}
  last_error     text
);

-- Every ping the receiver got, accepted or not, so forged and malformed ones
-- are on record.
CREATE TABLE airpg.inbox (
  ping_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  base_id     text,
  webhook_id  text,
  outcome     text NOT NULL CHECK (outcome IN ('accepted', 'bad_mac', 'unknown_webhook',
                                               'malformed')),
  body        text NOT NULL
);
CREATE INDEX inbox_received_idx ON airpg.inbox (received_at);

-- Changes that could not be applied, with what is needed to apply them later.
-- 'retrying' ones are tried again by the sync itself (a link whose target has
-- not arrived yet); 'dead' ones wait for `airpg dlq replay`. A later change
-- of the same cell that applies marks them 'superseded'.
CREATE TABLE airpg.dead_letters (
  dead_letter_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  base_id        text NOT NULL,
  table_id       text NOT NULL,
  record_id      text NOT NULL,
  field_id       text,           -- NULL when the whole record failed
  source         text NOT NULL,  -- webhook, poll, sweep, replay
  payload        text NOT NULL,  -- the cell (or record) as Airtable sent it
  reason         text NOT NULL,
  status         text NOT NULL DEFAULT 'retrying'
                 CHECK (status IN ('retrying', 'dead', 'replayed', 'superseded', 'dropped')),
  attempts       integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_open_idx ON airpg.dead_letters (base_id, status)
  WHERE status IN ('retrying', 'dead');
CREATE INDEX dead_letters_cell_idx ON airpg.dead_letters (table_id, record_id, field_id);

-- The history of sync: one row per applied batch, poll, sweep, schema change,
-- held delete or error. lag_ms is ping → commit for webhook batches.
CREATE TABLE airpg.sync_events (
  event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  base_id  text NOT NULL,
  table_id text,
  kind     text NOT NULL,
  records  integer NOT NULL DEFAULT 0,
  requests integer NOT NULL DEFAULT 0,
  lag_ms   double precision,
  detail   jsonb
);
CREATE INDEX sync_events_at_idx ON airpg.sync_events (base_id, at DESC);
