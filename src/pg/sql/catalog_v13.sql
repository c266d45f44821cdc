-- Issue 18: link aggregates kept in cache tables (mapping/computed_cache.h).
-- A table's lookups, rollups and counts through a link that reaches many
-- rows (an inverse FK or an ordered junction) are read by S.<t>_computed
-- from a cache table S."<view>$gN" (id, a1, a2, …), one row per row of the
-- table, filled from the source view S."<view>$gN_source" (the same
-- aggregates computed live). Statement-level AFTER triggers on the tables
-- the aggregates read keep it current in the writer's transaction, whatever
-- the origin (the inbound sync's applies included).
--
-- airpg.refresh_computed_cache() is that trigger. Its arguments name
-- relations of the trigger's own schema, unqualified, so a renamed schema
-- (the migrate's swap) keeps working:
--   TG_ARGV[0] the cache table, TG_ARGV[1] its source view,
--   TG_ARGV[2] how the changed rows name the cache rows to recompute:
--     'self'                 the changed rows' own ids (the cached table)
--     'column', C            the changed rows' column C (a child's FK; a
--                            junction's from_id or to_id)
--     'junction', J, K, L    the column K of junction J's rows whose column
--                            L is a changed row's id (a linked row's values)
-- The cache rows are locked before they are recomputed: a writer that
-- waited for another's lock recomputes in a new snapshot that sees its
-- commit, so two writers of one parent's children never leave it stale.
CREATE FUNCTION airpg.refresh_computed_cache() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  schema_name text := quote_ident(TG_TABLE_SCHEMA);
  cache text := schema_name || '.' || quote_ident(TG_ARGV[0]);
  source text := schema_name || '.' || quote_ident(TG_ARGV[1]);
  changed text;
  parents text;
  assignments text;
  ids bigint[];
BEGIN
  changed := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT * FROM airpg_new'
    WHEN 'DELETE' THEN 'SELECT * FROM airpg_old'
    ELSE 'SELECT * FROM airpg_new UNION ALL SELECT * FROM airpg_old' END;
  parents := CASE TG_ARGV[2]
    WHEN 'self' THEN format('SELECT c.id FROM (%s) AS c', changed)
    WHEN 'column' THEN format('SELECT c.%I FROM (%s) AS c', TG_ARGV[3], changed)
    WHEN 'junction' THEN format('SELECT j.%I FROM %s.%I AS j WHERE j.%I IN (SELECT c.id FROM (%s) AS c)',
                                TG_ARGV[4], schema_name, TG_ARGV[3], TG_ARGV[5], changed)
  END;
  EXECUTE format('SELECT array_agg(DISTINCT p ORDER BY p) FROM (%s) AS x(p) WHERE p IS NOT NULL',
                 parents) INTO ids;
  IF ids IS NULL THEN
    RETURN NULL;
  END IF;
  EXECUTE format('SELECT 1 FROM %s WHERE id = ANY($1) ORDER BY id FOR UPDATE', cache) USING ids;
  SELECT string_agg(format('%I = EXCLUDED.%I', attname, attname), ', ' ORDER BY attnum)
    INTO assignments
    FROM pg_attribute
    WHERE attrelid = cache::regclass AND attnum > 1 AND NOT attisdropped;
  EXECUTE format('INSERT INTO %s SELECT * FROM %s WHERE id = ANY($1) ON CONFLICT (id) DO UPDATE SET %s',
                 cache, source, assignments) USING ids;
  RETURN NULL;
END $$;

-- Drops every cache of schema `schema_name`: the triggers that keep them,
-- the cache tables (and with them the computed views that read them) and
-- their source views. Names with a '$' are airpg's own: the names airpg
-- gives tables (mapping/naming.h) never have one.
CREATE FUNCTION airpg.drop_computed_caches(schema_name text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT t.tgname, t.tgrelid::regclass AS relation
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = schema_name
              AND t.tgfoid = 'airpg.refresh_computed_cache()'::regprocedure LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.relation);
  END LOOP;
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = schema_name AND c.relkind IN ('r', 'v')
              AND position('$' IN c.relname) > 0
            ORDER BY c.relkind LOOP
    EXECUTE format('DROP %s IF EXISTS %I.%I CASCADE',
                   CASE r.relkind WHEN 'r' THEN 'TABLE' ELSE 'VIEW' END, schema_name, r.relname);
  END LOOP;
END $$;

-- A lookup of a multi-valued field (a lookup, a multiple select) shows all
-- their values in one flat array, in link order: the arrays concatenated.
CREATE AGGREGATE airpg.array_cat_agg(anycompatiblearray) (
  SFUNC = array_cat,
  STYPE = anycompatiblearray
);
