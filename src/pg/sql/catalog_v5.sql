-- Issue 18: Postgres keeps createdTime, lastModifiedTime and autoNumber
-- current for the rows it writes itself. A write whose origin is not
-- 'airtable' (the sync sets SET LOCAL airpg.origin = 'airtable' and brings
-- Airtable's own values) stamps the row's airtable_created_time (insert,
-- when empty) and airtable_modified_time, and the field columns the trigger
-- names in TG_ARGV, as triples (kind, column, detail):
--   ('created', column, 'date' | 'timestamptz')   on insert, when empty
--   ('modified', column, 'date' | 'timestamptz'[':' col,col…])
--                                                 on insert, and on every update
--                                                 that changes one of the listed
--                                                 columns (all writes when none)
--   ('autonumber', column, sequence)              on insert, when empty; the
--                                                 sequence is in the table's schema
-- Dates are UTC days. mapping/computed_stamps.h writes the triggers.
CREATE OR REPLACE FUNCTION airpg.stamp_postgres_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  i int := 0;
  kind text;
  col text;
  detail text;
  stamp timestamptz := now();
  current_row jsonb := to_jsonb(NEW);
  old_row jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END;
  watched text[];
  changes jsonb := '{}'::jsonb;
BEGIN
  IF coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres') = 'airtable' THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' THEN
    NEW.airtable_created_time := coalesce(NEW.airtable_created_time, stamp);
  END IF;
  NEW.airtable_modified_time := stamp;
  WHILE i + 2 < TG_NARGS LOOP
    kind := TG_ARGV[i];
    col := TG_ARGV[i + 1];
    detail := TG_ARGV[i + 2];
    watched := NULL;
    IF kind = 'modified' AND position(':' in detail) > 0 THEN
      watched := string_to_array(split_part(detail, ':', 2), ',');
      detail := split_part(detail, ':', 1);
    END IF;
    IF kind = 'modified' AND TG_OP = 'UPDATE' AND watched IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM unnest(watched) AS w(c)
                       WHERE (old_row -> w.c) IS DISTINCT FROM (current_row -> w.c)) THEN
      NULL;  -- none of the fields it watches changed
    ELSIF (kind = 'modified' OR (TG_OP = 'INSERT' AND kind = 'created'
                              AND coalesce(current_row -> col, 'null'::jsonb) = 'null'::jsonb)) THEN
      changes := changes || jsonb_build_object(col, CASE WHEN detail = 'date'
                                                    THEN to_jsonb((stamp AT TIME ZONE 'UTC')::date)
                                                    ELSE to_jsonb(stamp) END);
    ELSIF kind = 'autonumber' AND TG_OP = 'INSERT'
          AND coalesce(current_row -> col, 'null'::jsonb) = 'null'::jsonb THEN
      changes := changes || jsonb_build_object(
          col, nextval(format('%I.%I', TG_TABLE_SCHEMA, detail)::regclass));
    END IF;
    i := i + 3;
  END LOOP;
  IF changes <> '{}'::jsonb THEN
    NEW := jsonb_populate_record(NEW, changes);
  END IF;
  RETURN NEW;
END $$;
