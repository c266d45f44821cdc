-- Issue 18: createdBy and lastModifiedBy of the rows Postgres writes.
-- airpg.bases.postgres_user_id is the collaborator Postgres writes as
-- (`sync.postgres_user` / AIRPG_SYNC_POSTGRES_USER; sync/computed_views.h
-- records it when a sync starts); NULL when none is configured, and then
-- nothing is stamped: a Postgres-born row's columns stay NULL, an updated
-- row keeps Airtable's last value (docs/type-mapping.md). The stamp trigger
-- gains two kinds of triple (kind, column, detail):
--   ('createdby', column, '')                     on insert, when empty
--   ('modifiedby', column, ''[':' col,col…])      as 'modified'
-- Everything else is as catalog_v5.sql says.
ALTER TABLE airpg.bases ADD COLUMN postgres_user_id text REFERENCES airpg.users (user_id);

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
  writer jsonb;  -- the base's postgres_user_id, read once a row needs it
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
    IF kind IN ('modified', 'modifiedby') AND position(':' in detail) > 0 THEN
      watched := string_to_array(split_part(detail, ':', 2), ',');
      detail := split_part(detail, ':', 1);
    END IF;
    IF kind IN ('createdby', 'modifiedby') AND writer IS NULL THEN
      writer := coalesce(to_jsonb((SELECT b.postgres_user_id FROM airpg.bases AS b
                                   WHERE b.schema_name = TG_TABLE_SCHEMA)), 'null'::jsonb);
    END IF;
    IF kind IN ('modified', 'modifiedby') AND TG_OP = 'UPDATE' AND watched IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM unnest(watched) AS w(c)
                       WHERE (old_row -> w.c) IS DISTINCT FROM (current_row -> w.c)) THEN
      NULL;  -- none of the fields it watches changed
    ELSIF kind IN ('createdby', 'modifiedby') AND writer = 'null'::jsonb THEN
      NULL;  -- no collaborator configured: nothing to stamp
    ELSIF kind = 'modifiedby' OR (TG_OP = 'INSERT' AND kind = 'createdby'
                                  AND coalesce(current_row -> col, 'null'::jsonb) = 'null'::jsonb) THEN
      changes := changes || jsonb_build_object(col, writer);
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
