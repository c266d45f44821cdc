-- The airpg catalog, version 6: two-way sync (docs/two-way-sync.md). Who may
-- write each mirrored table (the authority matrix), the outbox a trigger fills
-- in the transaction of every Postgres write, and the keys that make a create
-- in Airtable happen once however often it is sent.

-- The authority matrix as configured (sync.authority, sync.tables.<T>…),
-- written by the sync at start. A table without a row is 'airtable'.
-- fields: {fld… id: authority} overrides of the table's authority.
CREATE TABLE airpg.sync_authority (
  table_id   text PRIMARY KEY REFERENCES airpg.tables ON DELETE CASCADE,
  base_id    text NOT NULL REFERENCES airpg.bases ON DELETE CASCADE,
  authority  text NOT NULL DEFAULT 'airtable' CHECK (authority IN ('airtable', 'postgres', 'both')),
  conflict   text NOT NULL DEFAULT 'latest'
             CHECK (conflict IN ('airtable_wins', 'postgres_wins', 'latest', 'manual')),
  fields     jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A base whose writes to Airtable are stopped (a revoked or under-scoped
-- token): the dispatcher sends nothing until the sync starts again.
ALTER TABLE airpg.sync_bases ADD COLUMN writes_stopped text;

-- Postgres changes on their way to Airtable: one row per row change of a
-- writable mirrored table (field_id NULL) or of a junction (field_id = the
-- link field that owns it; row_id = from_id). The dispatcher claims rows with
-- a lease, coalesces them per record and records the outcome; 'dead' rows keep
-- the request and Airtable's answer for `airpg dlq replay`.
CREATE TABLE airpg.outbox (
  outbox_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  base_id         text NOT NULL,
  table_id        text NOT NULL,
  field_id        text,
  schema_name     text NOT NULL,
  table_name      text NOT NULL,
  row_id          bigint NOT NULL,
  airtable_id     text,
  operation       text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  changed_columns text[],
  old_row         jsonb,
  new_row         jsonb,
  origin          text NOT NULL,
  txid            bigint NOT NULL DEFAULT txid_current(),
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  available_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'done', 'dead', 'dropped')),
  lease_owner     text,
  lease_until     timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  request         text,
  response        text,
  error_type      text,
  last_error      text,
  done_at         timestamptz
);
CREATE INDEX outbox_pending_idx ON airpg.outbox (base_id, outbox_id) WHERE status = 'pending';
CREATE INDEX outbox_record_idx ON airpg.outbox (table_id, row_id) WHERE status = 'pending';

-- The hidden `airpg key` of every Postgres-born row: chosen (and committed)
-- before its create is first sent, sent as the value of the `airpg key` field
-- with performUpsert merged on it, so a create sent again after a crash or a
-- lost answer finds the record it made instead of making a second one.
CREATE TABLE airpg.outbox_keys (
  table_id   text NOT NULL,
  row_id     bigint NOT NULL,
  airpg_key  text NOT NULL UNIQUE,
  record_id  text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_id, row_id)
);

-- Columns of a mirrored table that are no field's value: bookkeeping the
-- sync writes. Changes to them alone are not queued.
CREATE FUNCTION airpg.is_bookkeeping_column(name text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT name IN ('id', 'airtable_id', 'airtable_created_time', 'airtable_modified_time',
                  'airpg_synced_at', 'airpg_version', 'airpg_cell_errors')
$$;

-- Airtable types that are computed (airtable::IsComputed; a test keeps the
-- two lists equal): never written back.
CREATE FUNCTION airpg.is_computed_type(type text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT type IN ('formula', 'createdTime', 'rollup', 'count', 'lookup', 'multipleLookupValues',
                  'autoNumber', 'lastModifiedTime', 'button', 'createdBy', 'lastModifiedBy',
                  'externalSyncSource', 'aiText', 'manualSort')
$$;

-- The write guard of every mirrored table and junction (BEFORE each row;
-- arguments: base id, table id, link field id or ''). airpg's inbound apply
-- (airpg.origin = 'airtable') is exempt. Everyone else may not write a
-- computed field (SQLSTATE 428C9, as for a generated column), nor a table or
-- field whose authority is 'airtable' (42501), and is told the setting.
CREATE FUNCTION airpg.guard_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin    text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  tbl_id    text := TG_ARGV[1];
  link_id   text := nullif(TG_ARGV[2], '');
  auth      text;
  overrides jsonb;
  tname     text;
  old_j     jsonb;
  new_j     jsonb;
  f         record;
  changed   boolean;
BEGIN
  -- airpg's inbound apply; and a foreign key's own cascade (a link cleared
  -- because its target was deleted: Airtable clears it too).
  IF origin = 'airtable' OR pg_trigger_depth() > 1 THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  SELECT coalesce(a.authority, 'airtable'), coalesce(a.fields, '{}'), t.airtable_name
    INTO auth, overrides, tname
    FROM airpg.tables t LEFT JOIN airpg.sync_authority a USING (table_id)
   WHERE t.table_id = tbl_id;
  auth := coalesce(auth, 'airtable');
  IF link_id IS NOT NULL THEN
    -- A junction row is a value of its link field.
    IF coalesce(overrides ->> link_id, auth) = 'airtable' THEN
      RAISE EXCEPTION 'airpg: field % of table "%" is written in Airtable only (authority '
                      'airtable); set sync.tables.%.fields.<field> to postgres or both to write it '
                      'here', link_id, tname, tname
        USING ERRCODE = '42501';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW); END IF;
  IF TG_OP IN ('INSERT', 'DELETE') AND auth = 'airtable' THEN
    RAISE EXCEPTION 'airpg: table "%" is written in Airtable only (authority airtable); set '
                    'sync.tables.%.authority (or sync.authority) to postgres or both to write it '
                    'here', tname, tname
      USING ERRCODE = '42501';
  END IF;
  FOR f IN SELECT field_id, airtable_name, column_name, type, read_only FROM airpg.fields
            WHERE table_id = tbl_id AND removed_at IS NULL LOOP
    changed := CASE TG_OP
                 WHEN 'INSERT' THEN coalesce(new_j -> f.column_name, 'null') <> 'null'
                 WHEN 'UPDATE' THEN (new_j -> f.column_name) IS DISTINCT FROM (old_j -> f.column_name)
                 ELSE false END;
    CONTINUE WHEN NOT changed;
    IF f.read_only OR airpg.is_computed_type(f.type) THEN
      RAISE EXCEPTION 'airpg: field "%" (%) of table "%" is computed in Airtable (%) and cannot be '
                      'written', f.airtable_name, f.column_name, tname, f.type
        USING ERRCODE = '428C9';
    END IF;
    IF NOT overrides ? f.field_id AND auth = 'airtable' THEN
      RAISE EXCEPTION 'airpg: table "%" is written in Airtable only (authority airtable); set '
                      'sync.tables.%.authority (or sync.authority) to postgres or both to write it '
                      'here', tname, tname
        USING ERRCODE = '42501';
    END IF;
    IF coalesce(overrides ->> f.field_id, auth) = 'airtable' THEN
      RAISE EXCEPTION 'airpg: field "%" of table "%" is written in Airtable only (authority '
                      'airtable); set sync.tables.%.fields.% to postgres or both to write it '
                      'here', f.airtable_name, tname, tname, f.airtable_name
        USING ERRCODE = '42501';
    END IF;
  END LOOP;
  IF TG_OP = 'UPDATE' AND auth = 'airtable'
     AND (new_j -> 'deleted_at') IS DISTINCT FROM (old_j -> 'deleted_at') THEN
    RAISE EXCEPTION 'airpg: table "%" is written in Airtable only (authority airtable); set '
                    'sync.tables.%.authority to postgres or both to delete here', tname, tname
      USING ERRCODE = '42501';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- The capture of every mirrored table and junction (AFTER each row; the same
-- arguments): the change goes to the outbox in the writer's transaction.
-- airpg's own inbound apply (origin 'airtable') is never queued: that is the
-- Postgres half of echo suppression.
CREATE FUNCTION airpg.capture_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin  text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  link_id text := nullif(TG_ARGV[2], '');
  old_j   jsonb;
  new_j   jsonb;
  changed text[];
  row_id  bigint;
BEGIN
  IF origin = 'airtable' THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' THEN
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
      FROM jsonb_each(new_j) n
     WHERE n.value IS DISTINCT FROM old_j -> n.key
       AND (link_id IS NOT NULL OR NOT airpg.is_bookkeeping_column(n.key));
    IF changed = '{}' THEN RETURN NULL; END IF;
  END IF;
  IF link_id IS NULL THEN
    row_id := coalesce(new_j ->> 'id', old_j ->> 'id')::bigint;
  ELSE
    -- A link junction's from_id; a collaborator junction's record_id.
    row_id := coalesce(new_j ->> 'from_id', new_j ->> 'record_id', old_j ->> 'from_id',
                       old_j ->> 'record_id')::bigint;
  END IF;
  INSERT INTO airpg.outbox (base_id, table_id, field_id, schema_name, table_name, row_id,
                            airtable_id, operation, changed_columns, old_row, new_row, origin)
  VALUES (TG_ARGV[0], TG_ARGV[1], link_id, TG_TABLE_SCHEMA, TG_TABLE_NAME, row_id,
          CASE WHEN link_id IS NULL THEN coalesce(new_j ->> 'airtable_id', old_j ->> 'airtable_id') END,
          TG_OP, changed, old_j, new_j, origin);
  RETURN NULL;
END
$$;

-- Puts the guard and the capture on one mirrored table or junction. CREATE
-- TRIGGER takes no parameters; this lets callers pass the names and ids as
-- parameters. Idempotent.
CREATE FUNCTION airpg.install_write_triggers(schema_name text, table_name text, base_id text,
                                             table_id text, link_field_id text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE OR REPLACE TRIGGER airpg_guard BEFORE INSERT OR UPDATE OR DELETE ON %I.%I '
                 'FOR EACH ROW EXECUTE FUNCTION airpg.guard_write(%L, %L, %L)',
                 schema_name, table_name, base_id, table_id, coalesce(link_field_id, ''));
  EXECUTE format('CREATE OR REPLACE TRIGGER airpg_capture AFTER INSERT OR UPDATE OR DELETE ON '
                 '%I.%I FOR EACH ROW EXECUTE FUNCTION airpg.capture_change(%L, %L, %L)',
                 schema_name, table_name, base_id, table_id, coalesce(link_field_id, ''));
END
$$;

-- The audit trigger of catalog v1, now also silent while airpg.echo is on:
-- airpg writing Airtable's answer to its own write (the computed cells it
-- moved) into the row. The Postgres write that caused it is the audited
-- change; the webhook payload of the same write then changes nothing, so
-- one Postgres update leaves one audit row (docs/two-way-sync.md).
CREATE OR REPLACE FUNCTION airpg.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  old_j jsonb;
  new_j jsonb;
  changed text[];
BEGIN
  IF current_setting('airpg.echo', true) = 'on' THEN RETURN NULL; END IF;
  IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' THEN
    SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
      FROM jsonb_each(new_j) n
     WHERE n.value IS DISTINCT FROM old_j -> n.key;
    IF changed = '{}' THEN RETURN NULL; END IF;
  END IF;
  INSERT INTO airpg.audit_log (schema_name, table_name, operation, row_id, airtable_id,
                               old_row, new_row, changed_columns, origin)
  VALUES (TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
          coalesce(new_j ->> 'id', old_j ->> 'id')::bigint,
          coalesce(new_j ->> 'airtable_id', old_j ->> 'airtable_id'),
          old_j, new_j, changed, origin);
  RETURN NULL;
END
$$;
