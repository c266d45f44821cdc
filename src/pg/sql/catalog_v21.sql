-- Issue 17: `airpg serve` caches what it reads of the catalog per request —
-- routes, tokens and each base's tables and fields — and reads them again
-- only when they change (api/catalog_watch.h). A change to those catalog
-- tables sends NOTIFY airpg_catalog, which Postgres delivers once the change
-- commits; every serve process LISTENs and drops its cached copies.
-- An UPDATE that changes nothing sends nothing (the sync rewrites
-- descriptions as they are).
CREATE FUNCTION airpg.notify_catalog_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR OLD IS DISTINCT FROM NEW THEN
    -- One payload per table: Postgres folds repeats within a transaction.
    PERFORM pg_notify('airpg_catalog', TG_TABLE_NAME);
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION airpg.notify_catalog_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('airpg_catalog', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['routes', 'api_tokens', 'bases', 'tables', 'fields'] LOOP
    EXECUTE format('CREATE TRIGGER catalog_change AFTER INSERT OR UPDATE OR DELETE ON airpg.%I '
                   'FOR EACH ROW EXECUTE FUNCTION airpg.notify_catalog_change()', name);
    EXECUTE format('CREATE TRIGGER catalog_truncate AFTER TRUNCATE ON airpg.%I '
                   'FOR EACH STATEMENT EXECUTE FUNCTION airpg.notify_catalog_truncate()', name);
  END LOOP;
END
$$;
