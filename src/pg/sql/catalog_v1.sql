-- The airpg catalog, version 1: what airpg knows about the bases it mirrors
-- and every run it made. Applied once per database by pg::EnsureCatalog in a
-- transaction under an advisory lock; later versions add files, never edit
-- this one. Identity is Airtable's ids (app…, tbl…, fld…, rec…, usr…, att…).

CREATE SCHEMA IF NOT EXISTS airpg;

CREATE TABLE airpg.catalog_versions (
  version    integer PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per mirrored base; schema_name is where its live tables are.
CREATE TABLE airpg.bases (
  base_id       text PRIMARY KEY CHECK (base_id ~ '^app'),
  name          text NOT NULL,
  schema_name   text NOT NULL UNIQUE,
  active_run_id bigint,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Migration runs (and later sync backfills). A run loads into staging_schema;
-- a swap renames it to target_schema and keeps the schema it replaced as
-- backup_schema, so rollback can rename them back.
CREATE TABLE airpg.runs (
  run_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  base_id        text NOT NULL,
  kind           text NOT NULL DEFAULT 'migrate',
  status         text NOT NULL CHECK (status IN ('running', 'loaded', 'swapped', 'failed',
                                                 'rolled_back', 'superseded', 'dry_run')),
  staging_schema text NOT NULL,
  target_schema  text NOT NULL,
  backup_schema  text,
  plan           jsonb,
  options        jsonb,
  summary        jsonb,
  error          text,
  started_at     timestamptz NOT NULL DEFAULT now(),
  heartbeat_at   timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE INDEX runs_base_idx ON airpg.runs (base_id, run_id DESC);

-- Per table of a run: loaded tables are skipped when a killed run resumes.
CREATE TABLE airpg.run_tables (
  run_id       bigint NOT NULL REFERENCES airpg.runs ON DELETE CASCADE,
  table_id     text NOT NULL,
  status       text NOT NULL CHECK (status IN ('pending', 'loaded')),
  records_read bigint NOT NULL DEFAULT 0,
  imported     bigint NOT NULL DEFAULT 0,
  rejected     bigint NOT NULL DEFAULT 0,
  attachments  bigint NOT NULL DEFAULT 0,
  seconds      double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, table_id)
);

-- The live mapping of tables and fields: id ↔ Postgres name, type, options.
-- Names, once given, are kept (a rename in Airtable renames, never orphans).
CREATE TABLE airpg.tables (
  table_id         text PRIMARY KEY CHECK (table_id ~ '^tbl'),
  base_id          text NOT NULL REFERENCES airpg.bases ON DELETE CASCADE,
  airtable_name    text NOT NULL,
  table_name       text NOT NULL,
  description      text NOT NULL DEFAULT '',
  primary_field_id text,
  UNIQUE (base_id, table_name)
);

CREATE TABLE airpg.fields (
  field_id       text PRIMARY KEY CHECK (field_id ~ '^fld'),
  table_id       text NOT NULL REFERENCES airpg.tables ON DELETE CASCADE,
  airtable_name  text NOT NULL,
  type           text NOT NULL,
  options        jsonb,
  storage        text NOT NULL,
  column_name    text NOT NULL,  -- the column, or the name reserved for it when stored elsewhere
  sql_type       text NOT NULL DEFAULT '',
  relation_table text,           -- junction or choices table, when there is one
  read_only      boolean NOT NULL DEFAULT false,
  removed_at     timestamptz,    -- deleted in Airtable; the column is kept
  UNIQUE (table_id, column_name)
);

-- Every DDL airpg applied, with the change that caused it.
CREATE TABLE airpg.schema_versions (
  version_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  base_id    text NOT NULL,
  run_id     bigint,
  change     text NOT NULL,
  ddl        text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- Values that could not be carried over exactly, with the reason.
CREATE TABLE airpg.rejects (
  reject_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id     bigint REFERENCES airpg.runs ON DELETE CASCADE,
  base_id    text NOT NULL,
  table_id   text NOT NULL,
  record_id  text,
  field_id   text,
  raw_value  text,
  reason     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejects_run_idx ON airpg.rejects (run_id, table_id);

-- Collaborators, shared by every base.
CREATE TABLE airpg.users (
  user_id    text PRIMARY KEY,  -- usr… or ugp…
  email      text,
  name       text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Attachment bytes, content-addressed. content is NULL when the store is a
-- directory (the file is <dir>/<sha256[0:2]>/<sha256>).
CREATE TABLE airpg.blobs (
  sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size       bigint NOT NULL CHECK (size >= 0),
  content    bytea,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Attachment cells: one row per attachment per record and field, in cell
-- order. schema_name is the schema holding the record's row (a swap renames
-- it along with the schema).
CREATE TABLE airpg.attachments (
  schema_name   text NOT NULL,
  table_id      text NOT NULL,
  record_id     text NOT NULL,
  field_id      text NOT NULL,
  position      integer NOT NULL,
  attachment_id text NOT NULL,
  filename      text NOT NULL,
  content_type  text,
  size          bigint,
  sha256        text NOT NULL REFERENCES airpg.blobs,
  width         integer,
  height        integer,
  PRIMARY KEY (schema_name, record_id, field_id, position)
);
CREATE INDEX attachments_id_idx ON airpg.attachments (attachment_id);

-- The audit trail, partitioned by month (airpg.ensure_audit_partitions adds
-- them; the default partition catches anything outside).
CREATE TABLE airpg.audit_log (
  audit_id        bigint GENERATED ALWAYS AS IDENTITY,
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  schema_name     text NOT NULL,
  table_name      text NOT NULL,
  operation       text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
  row_id          bigint,
  airtable_id     text,
  old_row         jsonb,
  new_row         jsonb,
  changed_columns text[],
  origin          text NOT NULL CHECK (origin IN ('airtable', 'postgres', 'api', 'maint')),
  txid            bigint NOT NULL DEFAULT txid_current(),
  PRIMARY KEY (audit_id, at)
) PARTITION BY RANGE (at);
CREATE TABLE airpg.audit_log_default PARTITION OF airpg.audit_log DEFAULT;

CREATE FUNCTION airpg.ensure_audit_partitions(months_ahead integer DEFAULT 2)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', now())::date;
  m date;
BEGIN
  FOR i IN 0..months_ahead LOOP
    m := (first + make_interval(months => i))::date;
    EXECUTE format(
      'CREATE TABLE IF NOT EXISTS airpg.%I PARTITION OF airpg.audit_log FOR VALUES FROM (%L) TO (%L)',
      'audit_log_' || to_char(m, 'YYYY_MM'), m, (m + interval '1 month')::date);
  END LOOP;
END
$$;

-- The one audit trigger of every mirrored table. The writer says who it is
-- with SET LOCAL airpg.origin = 'airtable' | 'api' | 'maint'; anything else
-- (a person in psql, an application) is 'postgres'.
CREATE FUNCTION airpg.audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  old_j jsonb;
  new_j jsonb;
  changed text[];
BEGIN
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

SELECT airpg.ensure_audit_partitions();

-- COMMENT ON takes no parameters; this lets callers pass the text as one.
CREATE FUNCTION airpg.comment_on(schema_name text, table_name text, column_name text, body text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF column_name IS NULL THEN
    EXECUTE format('COMMENT ON TABLE %I.%I IS %L', schema_name, table_name, body);
  ELSE
    EXECUTE format('COMMENT ON COLUMN %I.%I.%I IS %L', schema_name, table_name, column_name, body);
  END IF;
END
$$;
