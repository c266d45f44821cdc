-- Issue 16: the holes in the write guard (docs/two-way-sync.md, "The write
-- guard and its threat model"). The guard of catalog v6 let through:
--  * any session that set airpg.origin = 'airtable' (or airpg.echo = 'on');
--  * every write made from a trigger (pg_trigger_depth() > 1), not only the
--    foreign keys' own ON DELETE actions it was meant for: a user trigger's
--    write to an airtable table was captured, then dropped by the
--    dispatcher, so the two sides drifted apart silently;
--  * writes to the bookkeeping columns: an INSERT with airtable_id 'rec…'
--    made the dispatcher PATCH that unrelated Airtable record.

-- Who may write as airpg's own sync. airpg.origin and airpg.echo are
-- session settings any session can set; once the role named here exists,
-- only its members (superusers are members of every role) may set them for
-- a write. While no such role exists anyone may, as before: the guard
-- protects against applications' mistakes, and a role that owns the tables
-- can drop the triggers anyway. One row.
CREATE TABLE airpg.guard_settings (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  sync_role text NOT NULL DEFAULT 'airpg_sync'
);
INSERT INTO airpg.guard_settings DEFAULT VALUES;

-- The origin of the current write: 'airtable' for airpg's inbound apply,
-- else what the writer set, 'postgres' by default. A claim of airpg's own
-- origin (or of its echo) by a role that may not make it is refused.
CREATE FUNCTION airpg.write_origin() RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  origin    text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  role_name text;
  role_oid  oid;
BEGIN
  IF origin <> 'airtable' AND coalesce(current_setting('airpg.echo', true), '') <> 'on' THEN
    RETURN origin;
  END IF;
  SELECT g.sync_role INTO role_name FROM airpg.guard_settings g;
  role_oid := to_regrole(quote_ident(coalesce(role_name, 'airpg_sync')));
  IF role_oid IS NOT NULL AND NOT pg_has_role(current_user, role_oid, 'MEMBER') THEN
    RAISE EXCEPTION 'airpg: role "%" may not write as airpg''s own sync (airpg.origin = '
                    'airtable or airpg.echo = on); only members of role "%" may', current_user,
                    role_name
      USING ERRCODE = '42501';
  END IF;
  RETURN origin;
END
$$;

-- Whether a row write is a foreign key's own ON DELETE action on `rel`: a
-- row deleted (CASCADE) because a record it points at is gone, or columns
-- set to NULL (SET NULL) whose records are all gone. Airtable clears those
-- links too, so they need no authority. Anything else — a write a user's
-- trigger makes — is not.
CREATE FUNCTION airpg.is_foreign_key_action(rel oid, op text, old_j jsonb, new_j jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  c       record;
  k       text;
  present boolean;
  cleared boolean := false;
BEGIN
  IF op = 'DELETE' THEN
    FOR c IN SELECT con.confrelid::regclass AS target, a.attname AS col, af.attname AS ref,
                    format_type(af.atttypid, af.atttypmod) AS ref_type
               FROM pg_constraint con
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
               JOIN pg_attribute af ON af.attrelid = con.confrelid AND af.attnum = con.confkey[1]
              WHERE con.conrelid = rel AND con.contype = 'f' AND con.confdeltype = 'c'
                AND cardinality(con.conkey) = 1 LOOP
      CONTINUE WHEN old_j ->> c.col::text IS NULL;
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I = $1::%s)', c.target, c.ref,
                     c.ref_type)
        INTO present USING old_j ->> c.col::text;
      IF NOT present THEN RETURN true; END IF;
    END LOOP;
    RETURN false;
  END IF;
  IF op <> 'UPDATE' THEN RETURN false; END IF;
  FOR k IN SELECT n.key FROM jsonb_each(new_j) n WHERE n.value IS DISTINCT FROM old_j -> n.key LOOP
    IF new_j -> k <> 'null'::jsonb THEN RETURN false; END IF;
    SELECT con.confrelid::regclass AS target, af.attname AS ref,
           format_type(af.atttypid, af.atttypmod) AS ref_type
      INTO c
      FROM pg_constraint con
      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
      JOIN pg_attribute af ON af.attrelid = con.confrelid AND af.attnum = con.confkey[1]
     WHERE con.conrelid = rel AND con.contype = 'f' AND con.confdeltype = 'n'
       AND cardinality(con.conkey) = 1 AND a.attname = k
     LIMIT 1;
    IF NOT FOUND THEN RETURN false; END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I = $1::%s)', c.target, c.ref,
                   c.ref_type)
      INTO present USING old_j ->> k;
    IF present THEN RETURN false; END IF;
    cleared := true;
  END LOOP;
  RETURN cleared;
END
$$;

-- The write guard of catalog v6, with the holes closed: the origin is
-- airpg.write_origin's; below the top level only a foreign key's own
-- action passes unchecked; and the bookkeeping columns (airtable_id, the
-- times, the version…) are airpg's: a Postgres write may not set them
-- (an INSERT may leave them to their defaults) nor change them (428C9,
-- as for a generated column), whatever the authority.
CREATE OR REPLACE FUNCTION airpg.guard_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  origin    text := coalesce(nullif(current_setting('airpg.origin', true), ''), 'postgres');
  role_oid  oid;
  tbl_id    text := TG_ARGV[1];
  link_id   text := nullif(TG_ARGV[2], '');
  auth      text;
  overrides jsonb;
  tname     text;
  old_j     jsonb;
  new_j     jsonb;
  f         record;
  col       text;
  changed   boolean;
BEGIN
  IF origin = 'airtable' OR coalesce(current_setting('airpg.echo', true), '') = 'on' THEN
    -- airpg.write_origin inline: this is the inbound apply's path, once per
    -- row, and a nested call costs a third more than the check itself.
    SELECT to_regrole(quote_ident(g.sync_role)) INTO role_oid FROM airpg.guard_settings g;
    IF role_oid IS NOT NULL AND NOT pg_has_role(current_user, role_oid, 'MEMBER') THEN
      PERFORM airpg.write_origin();  -- raises, naming the role
    END IF;
  END IF;
  IF origin = 'airtable' THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  IF TG_OP <> 'INSERT' THEN old_j := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_j := to_jsonb(NEW); END IF;
  -- A foreign key's own cascade (a link cleared because its target was
  -- deleted: Airtable clears it too).
  IF pg_trigger_depth() > 1 AND airpg.is_foreign_key_action(TG_RELID, TG_OP, old_j, new_j) THEN
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
  FOR col IN SELECT n.key FROM jsonb_each(coalesce(new_j, '{}')) n
              WHERE airpg.is_bookkeeping_column(n.key)
                AND CASE TG_OP
                      WHEN 'INSERT' THEN n.key NOT IN ('id', 'airpg_synced_at', 'airpg_version')
                                         AND n.value <> 'null'::jsonb
                      ELSE n.value IS DISTINCT FROM old_j -> n.key END LOOP
    RAISE EXCEPTION 'airpg: column "%" of table "%" is airpg''s bookkeeping and cannot be '
                    'written from Postgres (airpg sets it when the record reaches Airtable)',
                    col, tname
      USING ERRCODE = '428C9';
  END LOOP;
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

-- airpg.attachments has a guard of its own (catalog v9) that trusts
-- airpg.origin too: this trigger refuses the same claims there.
CREATE FUNCTION airpg.check_write_origin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM airpg.write_origin();
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER airpg_origin BEFORE INSERT OR UPDATE OR DELETE ON airpg.attachments
  FOR EACH ROW EXECUTE FUNCTION airpg.check_write_origin();

-- Issue 16: deletes the mass-delete breaker held (dead, error type
-- MASS_DELETE_HELD) are sent once an operator replays them: `airpg dlq
-- replay` marks what it replays released, and the breaker lets a released
-- delete through instead of holding it again.
ALTER TABLE airpg.outbox ADD COLUMN released boolean NOT NULL DEFAULT false;
