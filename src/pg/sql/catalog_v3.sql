-- The airpg catalog, version 3: migration history a person can trust.
-- A swap keeps the last migrate.keep_backups replaced schemas, each backup
-- knowing the run whose schema it holds and the name that schema was live
-- under (it may differ: `migrate --schema NEW` moves the mirror), so a
-- rollback can go back one step or to a named run. A run nobody holds any
-- more can be abandoned: its staging schema is dropped and it says so.
ALTER TABLE airpg.runs
  ADD COLUMN replaced_run_id bigint,  -- the run whose schema backup_schema holds
  ADD COLUMN replaced_schema text;    -- the name that schema was live under

COMMENT ON COLUMN airpg.runs.replaced_run_id IS
  'the run whose live schema this run''s swap moved aside into backup_schema';
COMMENT ON COLUMN airpg.runs.replaced_schema IS
  'the name backup_schema was live under; a rollback renames it back to this';

ALTER TABLE airpg.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE airpg.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('running', 'loaded', 'swapped', 'failed', 'rolled_back', 'superseded',
                    'dry_run', 'abandoned'));
