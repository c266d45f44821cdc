-- Issue 17: attachment cells written through `airpg serve` in postgres mode
-- (api/record_writer.cc, api/attachment_urls.h, docs/serve.md).
--
-- A file added by URL ({"url", "filename"?}) is answered at once with a
-- reserved att… id (reserved_id). Its airpg.attachments row has no att… id
-- of Airtable's yet (attachment_id NULL, as airpg.add_attachment's) and no
-- bytes yet (sha256 NULL) but the URL the client gave (source_url): serve
-- downloads the bytes into the blob store outside the request, and the
-- outbox sends the URL itself to Airtable, which fetches it as it would
-- from the client. A reorder of the cell is queued like an add or a removal.

ALTER TABLE airpg.attachments ALTER COLUMN sha256 DROP NOT NULL;
ALTER TABLE airpg.attachments ADD COLUMN source_url text;
ALTER TABLE airpg.attachments ADD COLUMN reserved_id text;
CREATE UNIQUE INDEX attachments_reserved_idx ON airpg.attachments (reserved_id)
  WHERE reserved_id IS NOT NULL;
-- The URL downloads still to do (api/attachment_urls.cc).
CREATE INDEX attachments_unfetched_idx ON airpg.attachments (schema_name)
  WHERE sha256 IS NULL AND source_url IS NOT NULL;

-- A reserved att… id → Airtable's, once the outbox recorded Airtable's
-- answer: a client that keeps the attachment by the id it was answered with
-- keeps finding it after the echo replaced the row with Airtable's.
CREATE TABLE airpg.attachment_keys (
  reserved_id   text PRIMARY KEY,
  schema_name   text NOT NULL,
  attachment_id text NOT NULL
);
CREATE INDEX attachment_keys_attachment_idx ON airpg.attachment_keys (attachment_id);

CREATE FUNCTION airpg.remember_attachment_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO airpg.attachment_keys (reserved_id, schema_name, attachment_id)
  VALUES (NEW.reserved_id, NEW.schema_name, NEW.attachment_id)
  ON CONFLICT (reserved_id) DO UPDATE SET attachment_id = EXCLUDED.attachment_id;
  RETURN NULL;
END
$$;
CREATE TRIGGER airpg_attachment_key AFTER UPDATE OF attachment_id ON airpg.attachments
  FOR EACH ROW WHEN (OLD.attachment_id IS NULL AND NEW.attachment_id IS NOT NULL
                     AND NEW.reserved_id IS NOT NULL)
  EXECUTE FUNCTION airpg.remember_attachment_key();

-- A reorder written in Postgres queues the cell as an add or a removal does
-- (catalog_v9's capture only sees inserts and deletes); the outbox sends the
-- cell's ids in Postgres's order. airpg's own moves (origin airtable: the
-- inbound apply, the outbox recording an answer) are not queued.
CREATE FUNCTION airpg.capture_attachment_reorder() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  base   text;
BEGIN
  IF origin = 'airtable' THEN RETURN NULL; END IF;
  SELECT b.base_id INTO base FROM airpg.bases b WHERE b.schema_name = NEW.schema_name;
  IF base IS NULL THEN RETURN NULL; END IF;
  INSERT INTO airpg.attachment_outbox AS o (table_id, record_id, field_id, base_id, schema_name)
  VALUES (NEW.table_id, NEW.record_id, NEW.field_id, base, NEW.schema_name)
  ON CONFLICT (table_id, record_id, field_id) DO UPDATE
    SET changed_at = clock_timestamp(), available_at = clock_timestamp(), status = 'pending',
        attempts = 0, last_error = NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER airpg_capture_reorder AFTER UPDATE OF position ON airpg.attachments
  FOR EACH ROW WHEN (OLD.position IS DISTINCT FROM NEW.position
                     AND OLD.record_id = NEW.record_id AND OLD.field_id = NEW.field_id
                     AND OLD.schema_name = NEW.schema_name)
  EXECUTE FUNCTION airpg.capture_attachment_reorder();

-- A record created through serve has only its reserved rec… id (its airpg
-- key, airpg.outbox_keys) until the outbox pushed it: its attachment rows
-- and queued cells are filed under that id, and a queued cell waits
-- (available_at 'infinity') — Airtable has no such record to attach to.
CREATE FUNCTION airpg.park_unpushed_attachment_cell() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM airpg.outbox_keys k WHERE k.table_id = NEW.table_id
               AND k.airpg_key = NEW.record_id AND k.record_id IS NULL) THEN
    NEW.available_at := 'infinity';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER airpg_park_unpushed BEFORE INSERT OR UPDATE ON airpg.attachment_outbox
  FOR EACH ROW EXECUTE FUNCTION airpg.park_unpushed_attachment_cell();

-- Once the create's answer gave the record Airtable's id, its attachment
-- rows and queued cells move to that id (airpg's own bookkeeping: origin
-- airtable for the move) and the cells are due at once.
CREATE FUNCTION airpg.move_pushed_attachments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  before text := coalesce(current_setting('airpg.origin', true), '');
BEGIN
  PERFORM set_config('airpg.origin', 'airtable', true);
  UPDATE airpg.attachments SET record_id = NEW.record_id
   WHERE table_id = NEW.table_id AND record_id = NEW.airpg_key;
  PERFORM set_config('airpg.origin', before, true);
  UPDATE airpg.attachment_outbox SET record_id = NEW.record_id, available_at = clock_timestamp()
   WHERE table_id = NEW.table_id AND record_id = NEW.airpg_key;
  RETURN NULL;
END
$$;
CREATE TRIGGER airpg_move_pushed_attachments AFTER UPDATE OF record_id ON airpg.outbox_keys
  FOR EACH ROW WHEN (OLD.record_id IS NULL AND NEW.record_id IS NOT NULL)
  EXECUTE FUNCTION airpg.move_pushed_attachments();

-- The download of a file added by URL (api/attachment_urls.cc): attempts so
-- far, when to try again, and the last failure. After the last attempt the
-- row keeps no bytes of its own; the copy Airtable fetched comes back with
-- the sync's echo of the cell.
ALTER TABLE airpg.attachments ADD COLUMN url_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE airpg.attachments ADD COLUMN url_retry_at timestamptz;
ALTER TABLE airpg.attachments ADD COLUMN url_error text;
