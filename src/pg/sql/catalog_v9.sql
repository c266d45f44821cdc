-- Issue 16: attachments added and removed in Postgres reach Airtable
-- (docs/architecture.md, outbound sync; src/sync/outbox_attachments.h).
--
-- A Postgres user adds an attachment with airpg.add_attachment(…) (the bytes
-- go to airpg.blobs, a row to airpg.attachments with attachment_id NULL: not
-- in Airtable yet) and removes one by deleting its airpg.attachments row. A
-- trigger refuses both where the field's authority is airtable and queues
-- the cell in airpg.attachment_outbox in the same transaction. The
-- dispatcher uploads the new bytes (or has Airtable fetch them from a signed
-- URL), sends the removals as a field update, and records Airtable's att…
-- id on the row, so the webhook echo finds the attachment known and neither
-- downloads it again nor adds a second row.

-- NULL: added in Postgres and not yet in Airtable.
ALTER TABLE airpg.attachments ALTER COLUMN attachment_id DROP NOT NULL;

-- Attachment cells with Postgres changes on their way to Airtable: one row
-- per cell, whatever the number of changes (the dispatcher sends the cell's
-- state, not each change). changed_at moves on every change, so a cell
-- changed again while its send was in flight stays queued. removed_ids are
-- the att… ids deleted in Postgres since the last send. Owned by
-- src/sync/outbox_attachments.cc.
CREATE TABLE airpg.attachment_outbox (
  table_id     text NOT NULL,
  record_id    text NOT NULL,
  field_id     text NOT NULL,
  base_id      text NOT NULL,
  schema_name  text NOT NULL,
  removed_ids  text[] NOT NULL DEFAULT '{}',
  changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  available_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'dead')),
  attempts     integer NOT NULL DEFAULT 0,
  lease_owner  text,
  lease_until  timestamptz,
  last_error   text,
  PRIMARY KEY (table_id, record_id, field_id)
);
CREATE INDEX attachment_outbox_due_idx ON airpg.attachment_outbox (base_id, available_at)
  WHERE status = 'pending';

-- The guard and capture of airpg.attachments. Only rows of a base's live
-- schema written by someone other than airpg's inbound apply (airpg.origin
-- 'airtable') are concerned: a migrate's staging rows, a swap's moves and
-- the sync's own rows pass untouched.
CREATE FUNCTION airpg.guard_attachment_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin    text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  r         airpg.attachments;
  base      text;
  auth      text;
  overrides jsonb;
  tname     text;
  fname     text;
BEGIN
  IF origin = 'airtable' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  SELECT b.base_id INTO base FROM airpg.bases b WHERE b.schema_name = r.schema_name;
  IF base IS NULL THEN RETURN r; END IF;  -- a staging or backup schema
  IF TG_OP = 'UPDATE' THEN
    -- Moves (a swap, a renumbering) are bookkeeping; the content is Airtable's or the blob's.
    IF (NEW.attachment_id, NEW.filename, NEW.content_type, NEW.size, NEW.sha256, NEW.record_id,
        NEW.field_id) IS DISTINCT FROM
       (OLD.attachment_id, OLD.filename, OLD.content_type, OLD.size, OLD.sha256, OLD.record_id,
        OLD.field_id) THEN
      RAISE EXCEPTION 'airpg: an attachment cannot be changed in place; delete its row and add '
                      'the new file with airpg.add_attachment'
        USING ERRCODE = '0A000';
    END IF;
    RETURN NEW;
  END IF;
  SELECT coalesce(a.authority, 'airtable'), coalesce(a.fields, '{}'), t.airtable_name,
         f.airtable_name
    INTO auth, overrides, tname, fname
    FROM airpg.tables t
    LEFT JOIN airpg.sync_authority a USING (table_id)
    LEFT JOIN airpg.fields f ON f.table_id = t.table_id AND f.field_id = r.field_id
   WHERE t.table_id = r.table_id;
  IF coalesce(overrides ->> r.field_id, auth, 'airtable') = 'airtable' THEN
    RAISE EXCEPTION 'airpg: field "%" of table "%" is written in Airtable only (authority '
                    'airtable); set sync.tables.%.authority (or sync.tables.%.fields.%) to '
                    'postgres or both to add or remove its attachments here',
                    coalesce(fname, r.field_id), coalesce(tname, r.table_id), tname, tname,
                    coalesce(fname, r.field_id)
      USING ERRCODE = '42501';
  END IF;
  RETURN r;
END
$$;

CREATE FUNCTION airpg.capture_attachment_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  r      airpg.attachments;
  base   text;
BEGIN
  IF origin = 'airtable' OR TG_OP = 'UPDATE' THEN RETURN NULL; END IF;
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  SELECT b.base_id INTO base FROM airpg.bases b WHERE b.schema_name = r.schema_name;
  IF base IS NULL THEN RETURN NULL; END IF;
  -- A row deleted before it ever reached Airtable needs no removal there.
  INSERT INTO airpg.attachment_outbox AS o (table_id, record_id, field_id, base_id, schema_name,
                                            removed_ids)
  VALUES (r.table_id, r.record_id, r.field_id, base, r.schema_name,
          CASE WHEN TG_OP = 'DELETE' AND r.attachment_id IS NOT NULL
               THEN ARRAY[r.attachment_id] ELSE '{}' END)
  ON CONFLICT (table_id, record_id, field_id) DO UPDATE
    SET removed_ids = o.removed_ids || EXCLUDED.removed_ids,
        changed_at = clock_timestamp(), available_at = clock_timestamp(), status = 'pending',
        attempts = 0, last_error = NULL;
  RETURN NULL;
END
$$;

CREATE TRIGGER airpg_guard BEFORE INSERT OR UPDATE OR DELETE ON airpg.attachments
  FOR EACH ROW EXECUTE FUNCTION airpg.guard_attachment_write();
CREATE TRIGGER airpg_capture AFTER INSERT OR DELETE ON airpg.attachments
  FOR EACH ROW EXECUTE FUNCTION airpg.capture_attachment_change();

-- Adds a file to an attachment cell of a mirrored record: `tbl` is the
-- table's id, Postgres name or Airtable name; `field` the field's id,
-- column name or Airtable name; `record_id` the record's rec… id (a row
-- created in Postgres gets one once the outbox has pushed it). The bytes
-- are stored once per SHA-256; the attachment goes after the cell's others.
-- Returns its position.
CREATE FUNCTION airpg.add_attachment(schema_name text, tbl text, record_id text, field text,
                                     filename text, content_type text, content bytea)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  t     record;
  f     record;
  sha   text := encode(sha256(content), 'hex');
  found boolean;
  pos   integer;
BEGIN
  SELECT tb.table_id, tb.table_name INTO t
    FROM airpg.tables tb JOIN airpg.bases b USING (base_id)
   WHERE b.schema_name = add_attachment.schema_name
     AND tbl IN (tb.table_id, tb.table_name, tb.airtable_name)
   ORDER BY tb.table_id = tbl DESC, tb.table_name = tbl DESC
   LIMIT 1;
  IF t IS NULL THEN
    RAISE EXCEPTION 'airpg: no mirrored table "%" in schema "%"', tbl, add_attachment.schema_name
      USING ERRCODE = '42P01';
  END IF;
  SELECT fl.field_id, fl.type, fl.airtable_name INTO f
    FROM airpg.fields fl
   WHERE fl.table_id = t.table_id AND fl.removed_at IS NULL
     AND field IN (fl.field_id, fl.column_name, fl.airtable_name)
   ORDER BY fl.field_id = field DESC
   LIMIT 1;
  IF f IS NULL THEN
    RAISE EXCEPTION 'airpg: table "%" has no field "%"', t.table_name, field
      USING ERRCODE = '42703';
  END IF;
  IF f.type <> 'multipleAttachments' THEN
    RAISE EXCEPTION 'airpg: field "%" is a % field, not an attachment field', f.airtable_name,
                    f.type
      USING ERRCODE = '42804';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE airtable_id = $1 AND deleted_at IS '
                 'NULL)', add_attachment.schema_name, t.table_name)
    INTO found USING record_id;
  IF NOT found THEN
    RAISE EXCEPTION 'airpg: table "%" has no live record "%" (a row created in Postgres gets its '
                    'rec id once it has been pushed to Airtable)', t.table_name, record_id
      USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO airpg.blobs (sha256, size, content) VALUES (sha, length(content), content)
  ON CONFLICT (sha256) DO NOTHING;
  -- Serialises adds to one cell, so two get two positions.
  PERFORM pg_advisory_xact_lock(hashtext(add_attachment.schema_name || '/' || record_id || '/' ||
                                         f.field_id));
  SELECT coalesce(max(a.position) + 1, 0) INTO pos FROM airpg.attachments a
   WHERE a.schema_name = add_attachment.schema_name AND a.record_id = add_attachment.record_id
     AND a.field_id = f.field_id;
  INSERT INTO airpg.attachments (schema_name, table_id, record_id, field_id, position,
                                 attachment_id, filename, content_type, size, sha256)
  VALUES (add_attachment.schema_name, t.table_id, record_id, f.field_id, pos, NULL, filename,
          nullif(content_type, ''), length(content), sha);
  RETURN pos;
END
$$;
