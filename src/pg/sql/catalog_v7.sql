-- The airpg catalog, `airpg serve` (issue 17): per-table routes, the shadow
-- reads' differences and the API's tokens. Each table has one owning module
-- in src/api/ (routes.h, shadow_diffs.h, tokens.h).

-- Where the API answers a table from. A table without a row follows
-- serve.default_mode. Every serve process reads this at most a second late.
CREATE TABLE airpg.routes (
  base_id    text NOT NULL,
  table_id   text NOT NULL,
  mode       text NOT NULL CHECK (mode IN ('airtable', 'shadow', 'postgres')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (base_id, table_id)
);

-- A difference a shadow read found: Airtable's answer was served, the same
-- request answered from Postgres disagreed on this record and field.
CREATE TABLE airpg.shadow_diffs (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  base_id        text NOT NULL,
  table_id       text NOT NULL,
  request        text NOT NULL,  -- method and target, as the application sent them
  record_id      text NOT NULL,
  field          text NOT NULL,  -- field name or id as answered; '' for a missing record
  airtable_value text,           -- JSON; NULL when absent
  postgres_value text
);
CREATE INDEX shadow_diffs_table ON airpg.shadow_diffs (base_id, table_id, field);

-- API tokens: only the SHA-256 of the secret is kept; the token is shown once.
CREATE TABLE airpg.api_tokens (
  name        text PRIMARY KEY,
  token_hash  text NOT NULL UNIQUE,  -- hex SHA-256 of the whole token
  bases       text[] NOT NULL DEFAULT '{}',  -- empty: every served base
  scopes      text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);
