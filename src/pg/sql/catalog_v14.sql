-- Issue 17: a field's Airtable description, so the Meta API that `airpg
-- serve` answers from the catalog shows it, and a description changed
-- through serve's Meta API writes is mirrored at once
-- (pg::SetCatalogDescriptions). Tables already had theirs.
ALTER TABLE airpg.fields ADD COLUMN description text NOT NULL DEFAULT '';
