-- Issue 17: the permission level Airtable reported for a base when airpg last
-- read its schema (GET /v0/meta/bases: none, read, comment, edit, create), so
-- `airpg serve` answers GET /v0/meta/bases with what is true instead of a
-- constant (api/permission_level.h). NULL: not read yet (a base migrated
-- before this column existed, or whose list entry had no level).
ALTER TABLE airpg.bases ADD COLUMN permission_level text;
