-- The airpg catalog, per-view snapshots (issue 17): which records each
-- Airtable view shows and in what order, as last read from Airtable.
-- `airpg serve` answers a list with `view` from them in postgres mode. One
-- owning module: src/pg/view_snapshots.h (written by migrate and the sync,
-- read by the API).

-- One row per view of a mirrored table.
CREATE TABLE airpg.view_snapshots (
  base_id       text NOT NULL,
  table_id      text NOT NULL,
  view_id       text NOT NULL,
  view_name     text NOT NULL,
  view_index    integer NOT NULL,  -- the view's place among its table's views
  -- When the read that filled the members began (Postgres's clock): rows
  -- created after it are listed after the members until the next refresh.
  refreshed_at  timestamptz NOT NULL,
  -- Since when a change reached the table (a webhook payload or a poll);
  -- NULL when none has since refreshed_at. The sync reads a stale view
  -- again at its next refresh turn; a mark made during that read survives it.
  stale_since   timestamptz,
  PRIMARY KEY (base_id, table_id, view_id)
);
CREATE INDEX view_snapshots_name ON airpg.view_snapshots (base_id, table_id, view_name);

-- The records of a view, in the view's order (position 0 first).
CREATE TABLE airpg.view_members (
  base_id    text NOT NULL,
  table_id   text NOT NULL,
  view_id    text NOT NULL,
  record_id  text NOT NULL,
  position   integer NOT NULL,
  PRIMARY KEY (base_id, table_id, view_id, record_id),
  FOREIGN KEY (base_id, table_id, view_id)
    REFERENCES airpg.view_snapshots (base_id, table_id, view_id) ON DELETE CASCADE
);
