-- Two-way sync, conflicts (issue 16). Owned by src/sync/conflicts.cc.

-- The last value both sides agreed on, per record and field: the base of the
-- three-way decision (src/sync/conflict_rules.h). Cell JSON as Airtable
-- renders it with returnFieldsByFieldId.
CREATE TABLE airpg.field_sync_state (
  base_id   text NOT NULL,
  table_id  text NOT NULL,
  record_id text NOT NULL,
  field_id  text NOT NULL,
  value     jsonb NOT NULL,
  synced_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_id, record_id, field_id)
);

-- A field both sides changed, with both values and the base. 'open' until
-- an operator (or a rule) resolves it; a resolution is applied to the losing
-- side by the sync, which then sets applied_at.
CREATE TABLE airpg.conflicts (
  conflict_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  base_id               text NOT NULL,
  table_id              text NOT NULL,
  record_id             text NOT NULL,
  field_id              text NOT NULL,
  rule                  text NOT NULL,
  base_value            jsonb,
  airtable_value        jsonb NOT NULL,
  postgres_value        jsonb NOT NULL,
  airtable_modified_at  timestamptz,
  postgres_committed_at timestamptz,
  status                text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolution            text CHECK (resolution IN ('airtable', 'postgres', 'value')),
  resolved_value        jsonb,
  created_at            timestamptz NOT NULL DEFAULT now(),
  resolved_at           timestamptz,
  applied_at            timestamptz,
  CHECK ((status = 'open') = (resolution IS NULL))
);
-- At most one open conflict per field: a newer clash updates it.
CREATE UNIQUE INDEX conflicts_open_idx ON airpg.conflicts (table_id, record_id, field_id)
  WHERE status = 'open';
CREATE INDEX conflicts_unapplied_idx ON airpg.conflicts (base_id)
  WHERE status = 'resolved' AND applied_at IS NULL;
