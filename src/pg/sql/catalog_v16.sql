-- Issue 16, attachments from Postgres (docs/two-way-sync.md, "Attachments";
-- src/sync/outbox_attachments.h): decided by the conflict rules, addable to
-- a row Postgres created before it has a rec id, and served from URLs that
-- outlive a restart.

-- The cell's attachment ids both sides held when Postgres first changed it
-- (the base of the three-way decision), kept up to date as the dispatcher
-- sends: an Airtable list that differs from it is an Airtable edit.
ALTER TABLE airpg.attachment_outbox ADD COLUMN base_ids text[] NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION airpg.capture_attachment_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  r      airpg.attachments;
  base   text;
  ids    text[];
BEGIN
  IF origin = 'airtable' OR TG_OP = 'UPDATE' THEN RETURN NULL; END IF;
  r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  SELECT b.base_id INTO base FROM airpg.bases b WHERE b.schema_name = r.schema_name;
  IF base IS NULL THEN RETURN NULL; END IF;
  -- The cell before this change: its known ids now, plus the one deleted.
  SELECT coalesce(array_agg(a.attachment_id ORDER BY a.position), '{}') INTO ids
    FROM airpg.attachments a
   WHERE a.schema_name = r.schema_name AND a.record_id = r.record_id AND a.field_id = r.field_id
     AND a.attachment_id IS NOT NULL;
  IF TG_OP = 'DELETE' AND r.attachment_id IS NOT NULL THEN ids := ids || r.attachment_id; END IF;
  -- A row deleted before it ever reached Airtable needs no removal there.
  INSERT INTO airpg.attachment_outbox AS o (table_id, record_id, field_id, base_id, schema_name,
                                            removed_ids, base_ids)
  VALUES (r.table_id, r.record_id, r.field_id, base, r.schema_name,
          CASE WHEN TG_OP = 'DELETE' AND r.attachment_id IS NOT NULL
               THEN ARRAY[r.attachment_id] ELSE '{}' END, ids)
  ON CONFLICT (table_id, record_id, field_id) DO UPDATE
    SET removed_ids = o.removed_ids || EXCLUDED.removed_ids,
        changed_at = clock_timestamp(), available_at = clock_timestamp(), status = 'pending',
        attempts = 0, last_error = NULL;
  RETURN NULL;
END
$$;

-- catalog_v15's reorder capture, with the base too: a reorder may be the
-- first change of the cell in its transaction (serve writes positions before
-- it adds a file), and the base is the cell's known ids as they were.
CREATE OR REPLACE FUNCTION airpg.capture_attachment_reorder() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  base   text;
  ids    text[];
BEGIN
  IF origin = 'airtable' THEN RETURN NULL; END IF;
  SELECT b.base_id INTO base FROM airpg.bases b WHERE b.schema_name = NEW.schema_name;
  IF base IS NULL THEN RETURN NULL; END IF;
  SELECT coalesce(array_agg(a.attachment_id ORDER BY a.position), '{}') INTO ids
    FROM airpg.attachments a
   WHERE a.schema_name = NEW.schema_name AND a.record_id = NEW.record_id
     AND a.field_id = NEW.field_id AND a.attachment_id IS NOT NULL;
  INSERT INTO airpg.attachment_outbox AS o (table_id, record_id, field_id, base_id, schema_name,
                                            base_ids)
  VALUES (NEW.table_id, NEW.record_id, NEW.field_id, base, NEW.schema_name, ids)
  ON CONFLICT (table_id, record_id, field_id) DO UPDATE
    SET changed_at = clock_timestamp(), available_at = clock_timestamp(), status = 'pending',
        attempts = 0, last_error = NULL;
  RETURN NULL;
END
$$;

-- airpg.add_attachment of catalog v9, now also for a row created in
-- Postgres that has no rec id yet: `record_id` may be the row's `id` (as
-- text). Its attachments are kept under 'row:<id>' until the outbox has
-- created the record; the attachment step then moves them to the rec id and
-- uploads them.
CREATE OR REPLACE FUNCTION airpg.add_attachment(schema_name text, tbl text, record_id text,
                                                field text, filename text, content_type text,
                                                content bytea)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  t      record;
  f      record;
  sha    text := encode(sha256(content), 'hex');
  rec    text;
  pos    integer;
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
  -- A rec id, or the id of a live row (its rec id once pushed, else 'row:<id>').
  EXECUTE format('SELECT coalesce(airtable_id, ''row:'' || id) FROM %I.%I WHERE deleted_at IS '
                 'NULL AND (airtable_id = $1 OR ($1 ~ ''^[0-9]{1,18}$'' AND id = $1::bigint)) '
                 'ORDER BY airtable_id = $1 DESC NULLS LAST LIMIT 1',
                 add_attachment.schema_name, t.table_name)
    INTO rec USING record_id;
  IF rec IS NULL THEN
    RAISE EXCEPTION 'airpg: table "%" has no live record "%" (name a record by its rec id, or a '
                    'row created in Postgres by its id)', t.table_name, record_id
      USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO airpg.blobs (sha256, size, content) VALUES (sha, length(content), content)
  ON CONFLICT (sha256) DO NOTHING;
  -- Serialises adds to one cell, so two get two positions.
  PERFORM pg_advisory_xact_lock(hashtext(add_attachment.schema_name || '/' || rec || '/' ||
                                         f.field_id));
  SELECT coalesce(max(a.position) + 1, 0) INTO pos FROM airpg.attachments a
   WHERE a.schema_name = add_attachment.schema_name AND a.record_id = rec
     AND a.field_id = f.field_id;
  INSERT INTO airpg.attachments (schema_name, table_id, record_id, field_id, position,
                                 attachment_id, filename, content_type, size, sha256)
  VALUES (add_attachment.schema_name, t.table_id, rec, f.field_id, pos, NULL, filename,
          nullif(content_type, ''), length(content), sha);
  RETURN pos;
END
$$;

-- A queued attachment cell's id, for `airpg dlq list|replay --outbox` (a
-- dead cell is listed and replayed beside the dead row changes). Drawn from
-- the outbox's own sequence, so one id never names both.
DO $$
BEGIN
  EXECUTE format('ALTER TABLE airpg.attachment_outbox ADD COLUMN cell_id bigint NOT NULL '
                 'DEFAULT nextval(%L::regclass)',
                 pg_get_serial_sequence('airpg.outbox', 'outbox_id'));
END
$$;
CREATE UNIQUE INDEX attachment_outbox_cell_idx ON airpg.attachment_outbox (cell_id);

-- The key that signs the /blobs/ URLs Airtable fetches large attachments
-- from (src/blobs/signing_key.h): drawn once and kept here, so a URL signed
-- before a restart (or by another airpg process of the database) is still
-- served. AIRPG_BLOB_SIGNING_KEY, when set, is used instead. Hex; never
-- logged.
CREATE TABLE airpg.blob_signing_key (
  only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  key_hex    text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
