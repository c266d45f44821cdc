// airpg.conflicts and airpg.field_sync_state against a real Postgres: the
// resolver parks, decides by rule and moves the base; an operator's
// resolution is kept until the sync marks it applied.
#include "sync/conflicts.h"

#include <gtest/gtest.h>

#include "pg/catalog.h"
#include "pg/testing/pg_test.h"

namespace airpg::sync {
namespace {

constexpr char kBase[] = "appConflicts00001";
constexpr char kTable[] = "tblClients0000001";

class ConflictsTest : public pg::testing::PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    ASSERT_TRUE(pg::EnsureCatalog(conn()).ok());
  }

  FieldChange Change(const std::string& field, const std::string& airtable,
                     const std::string& postgres, int airtable_s = 10, int postgres_s = 20) {
    FieldChange c;
    c.base_id = kBase;
    c.table_id = kTable;
    c.record_id = "recClient0000001";
    c.field_id = field;
    c.airtable_value = airtable;
    c.postgres_value = postgres;
    c.airtable_modified = SyncTime(std::chrono::seconds(1800000000 + airtable_s));
    c.postgres_committed = SyncTime(std::chrono::seconds(1800000000 + postgres_s));
    return c;
  }

  Result<FieldDecision> Resolve(const FieldChange& change, FieldPolicy policy) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn()));
    AIRPG_ASSIGN_OR_RETURN(FieldDecision d, ResolveFieldChange(tx, change, policy));
    AIRPG_RETURN_IF_ERROR(tx.Commit());
    return d;
  }

  std::string Scalar(const std::string& sql) {
    auto rows = conn().Exec(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() && !rows->empty() ? std::string(rows->Get(0, 0)) : "";
  }
};

TEST_F(ConflictsTest, TheBaseDecidesWhichSideChangedAndDifferentFieldsMerge) {
  const FieldPolicy both{Authority::kBoth, ConflictRule::kManual};
  // Both sides agree on two fields: that is the base.
  ASSERT_EQ(Resolve(Change("fldName", R"("Blue Peak")", R"( "Blue Peak" )"), both)->action,
            FieldAction::kNone);
  ASSERT_EQ(Resolve(Change("fldCity", R"("Denver")", R"("Denver")"), both)->action,
            FieldAction::kNone);
  EXPECT_EQ(*LastSynced(conn(), kTable, "recClient0000001", "fldName"), R"("Blue Peak")");
  // Airtable edits one field, Postgres the other: each goes across, no conflict.
  auto name = Resolve(Change("fldName", R"("Blue Peak Inc")", R"("Blue Peak")"), both);
  auto city = Resolve(Change("fldCity", R"("Denver")", R"("Boulder")"), both);
  ASSERT_TRUE(name.ok() && city.ok());
  EXPECT_EQ(name->action, FieldAction::kToPostgres);
  EXPECT_EQ(city->action, FieldAction::kToAirtable);
  EXPECT_FALSE(name->conflict || city->conflict);
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
}

TEST_F(ConflictsTest, ManualParksOneOpenConflictPerFieldWithBothValuesAndTheBase) {
  const FieldPolicy manual{Authority::kBoth, ConflictRule::kManual};
  ASSERT_TRUE(RecordSynced(conn(), kBase, kTable, "recClient0000001", "fldNotes", R"("old")").ok());
  auto parked = Resolve(Change("fldNotes", R"("from Airtable")", R"("from Postgres")"), manual);
  ASSERT_TRUE(parked.ok()) << parked.status().ToString();
  EXPECT_EQ(parked->action, FieldAction::kPark);
  // The clash again, with a newer Airtable value: the same open conflict.
  ASSERT_TRUE(Resolve(Change("fldNotes", R"("newer")", R"("from Postgres")"), manual).ok());
  auto open = ListConflicts(conn(), "open");
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  ASSERT_EQ(open->size(), 1u);
  const Conflict& c = open->front();
  EXPECT_EQ(c.record_id, "recClient0000001");
  EXPECT_EQ(c.field_id, "fldNotes");
  EXPECT_EQ(c.rule, "manual");
  EXPECT_EQ(c.base_value, R"("old")");
  EXPECT_EQ(c.airtable_value, R"("newer")");
  EXPECT_EQ(c.postgres_value, R"("from Postgres")");
  EXPECT_EQ(c.status, "open");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict'"), "2");
  auto counts = OpenConflictsByTable(conn(), kBase);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(*counts, (std::map<std::string, int64_t>{{kTable, 1}}));
}

TEST_F(ConflictsTest, ARuleDecidesAtOnceAndTheHistoryKeepsTheLosersValue) {
  ASSERT_TRUE(RecordSynced(conn(), kBase, kTable, "recClient0000001", "fldNotes", "1").ok());
  auto latest = Resolve(Change("fldNotes", "2", "3", /*airtable_s=*/30, /*postgres_s=*/20),
                        {Authority::kBoth, ConflictRule::kLatest});
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(latest->action, FieldAction::kToPostgres);
  EXPECT_TRUE(latest->conflict);
  auto all = ListConflicts(conn());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().status, "resolved");
  EXPECT_EQ(all->front().resolution, "airtable");
  EXPECT_EQ(all->front().resolved_value, "2");
  EXPECT_EQ(all->front().postgres_value, "3");
  EXPECT_EQ(all->front().airtable_modified_at, "2027-01-15T08:00:30.000Z");
  EXPECT_FALSE(all->front().applied_at.empty());
}

TEST_F(ConflictsTest, AnOperatorResolvesOnceAndTheSyncMarksItApplied) {
  const FieldPolicy manual{Authority::kBoth, ConflictRule::kManual};
  ASSERT_TRUE(Resolve(Change("fldA", R"("a1")", R"("p1")"), manual).ok());
  ASSERT_TRUE(Resolve(Change("fldB", R"("a2")", R"("p2")"), manual).ok());
  auto open = ListConflicts(conn(), "open");
  ASSERT_EQ(open->size(), 2u);
  int64_t b = open->at(0).id, a = open->at(1).id;  // newest first

  auto took = ResolveConflict(conn(), a, Take::kPostgres);
  ASSERT_TRUE(took.ok()) << took.status().ToString();
  EXPECT_EQ(took->status, "resolved");
  EXPECT_EQ(took->resolved_value, R"("p1")");
  auto given = ResolveConflict(conn(), b, Take::kValue, R"({"merged": ["a2", "p2"]})");
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ(given->resolution, "value");
  EXPECT_EQ(given->resolved_value, R"({"merged": ["a2", "p2"]})");

  EXPECT_EQ(ResolveConflict(conn(), a, Take::kAirtable).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ResolveConflict(conn(), 999999, Take::kAirtable).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(GetConflict(conn(), 999999).status().code(), StatusCode::kNotFound);

  auto unapplied = UnappliedResolutions(conn(), kBase);
  ASSERT_TRUE(unapplied.ok());
  ASSERT_EQ(unapplied->size(), 2u);
  EXPECT_EQ(unapplied->front().id, a);
  ASSERT_TRUE(MarkApplied(conn(), a).ok());
  EXPECT_EQ(UnappliedResolutions(conn(), kBase)->size(), 1u);
  EXPECT_EQ(*LastSynced(conn(), kTable, "recClient0000001", "fldA"), R"("p1")");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.sync_events WHERE kind = 'conflict_resolved'"), "2");
}

}  // namespace
}  // namespace airpg::sync
