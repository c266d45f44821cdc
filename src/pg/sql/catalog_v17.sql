-- Issue 17: a revoked token's name may be used again. The name was the
-- primary key, so a revoked row kept it for ever; now only a live token
-- holds its name (a partial unique index), and the row is keyed by its hash.
ALTER TABLE airpg.api_tokens DROP CONSTRAINT api_tokens_pkey;
ALTER TABLE airpg.api_tokens ADD PRIMARY KEY (token_hash);
ALTER TABLE airpg.api_tokens DROP CONSTRAINT api_tokens_token_hash_key;
CREATE UNIQUE INDEX api_tokens_live_name ON airpg.api_tokens (name) WHERE revoked_at IS NULL;

-- A view's type (grid, gallery, …) as Airtable's schema gives it, so serve's
-- Meta API lists a table's views as Airtable does. '' for a snapshot taken
-- before this version, until the sync refreshes it.
ALTER TABLE airpg.view_snapshots ADD COLUMN view_type text NOT NULL DEFAULT '';
