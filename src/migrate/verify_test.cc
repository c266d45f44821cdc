// MergeChecksums: the post-load check's comparison of the two sides, read in
// record id order one record at a time.
#include "migrate/verify.h"

#include <gtest/gtest.h>

namespace airpg::migrate {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

ChecksumSource From(const Pairs& pairs) {
  return [pairs, i = size_t{0}](std::string* id, std::string* sum) mutable -> Result<bool> {
    if (i == pairs.size()) return false;
    *id = pairs[i].first;
    *sum = pairs[i].second;
    ++i;
    return true;
  };
}

mapping::TablePlan Table() {
  mapping::TablePlan table;
  table.table_id = "tblMerge000000001";
  table.table_name = "merge";
  return table;
}

TEST(MergeChecksumsTest, EqualSidesAreClean) {
  Pairs both = {{"rec1", "a"}, {"rec2", "b"}, {"rec3", "c"}};
  auto out = MergeChecksums(Table(), From(both), From(both));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->clean());
  EXPECT_EQ(out->airtable_records, 3);
  EXPECT_EQ(out->postgres_records, 3);
  EXPECT_EQ(out->table_id, "tblMerge000000001");
}

TEST(MergeChecksumsTest, MissingExtraAndDifferentInIdOrder) {
  auto out = MergeChecksums(Table(), From({{"rec1", "a"}, {"rec2", "b"}, {"rec4", "d"}}),
                            From({{"rec0", "z"}, {"rec2", "B"}, {"rec3", "c"}, {"rec4", "d"}}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->missing_in_postgres, 1);  // rec1
  EXPECT_EQ(out->missing_in_airtable, 2);  // rec0, rec3
  EXPECT_EQ(out->different, 1);            // rec2
  EXPECT_EQ(out->airtable_records, 3);
  EXPECT_EQ(out->postgres_records, 4);
  EXPECT_EQ(out->examples, (std::vector<std::string>{
                               "rec0: in Postgres, not in Airtable", "rec1: missing in Postgres",
                               "rec2: values differ", "rec3: in Postgres, not in Airtable"}));
}

TEST(MergeChecksumsTest, EmptySides) {
  auto none = MergeChecksums(Table(), From({}), From({}));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->clean());
  auto only_airtable = MergeChecksums(Table(), From({{"rec1", "a"}}), From({}));
  ASSERT_TRUE(only_airtable.ok());
  EXPECT_EQ(only_airtable->missing_in_postgres, 1);
  auto only_postgres = MergeChecksums(Table(), From({}), From({{"rec1", "a"}, {"rec2", "b"}}));
  ASSERT_TRUE(only_postgres.ok());
  EXPECT_EQ(only_postgres->missing_in_airtable, 2);
}

TEST(MergeChecksumsTest, ARepeatedIdCountsOnceAndItsLastChecksumWins) {
  // As the map the comparison used to build kept it.
  auto out = MergeChecksums(Table(), From({{"rec1", "old"}, {"rec1", "a"}, {"rec2", "b"}}),
                            From({{"rec1", "a"}, {"rec2", "b"}}));
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->clean());
  EXPECT_EQ(out->airtable_records, 2);
}

TEST(MergeChecksumsTest, ASideOutOfOrderIsAnInternalError) {
  auto out = MergeChecksums(Table(), From({{"rec2", "b"}, {"rec1", "a"}}), From({}));
  EXPECT_EQ(out.status().code(), StatusCode::kInternal);
}

TEST(MergeChecksumsTest, BytewiseOrderAsPostgresCollateC) {
  // "C" collation and std::string both compare bytes: upper case sorts first.
  auto out = MergeChecksums(Table(), From({{"recB", "1"}, {"reca", "2"}}),
                            From({{"recB", "1"}, {"reca", "2"}}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->clean());
}

TEST(MergeChecksumsTest, ExamplesAreCappedAndTheMapsVersionAgrees) {
  std::map<std::string, std::string> airtable, postgres;
  for (int i = 0; i < 25; ++i) airtable["rec" + std::to_string(100 + i)] = "x";
  TableVerify out = CompareChecksums(Table(), airtable, postgres);
  EXPECT_EQ(out.missing_in_postgres, 25);
  EXPECT_EQ(out.examples.size(), 10u);
  EXPECT_EQ(out.examples.front(), "rec100: missing in Postgres");
}

// Issue 14: a value one side cannot checksum is a difference with its reason,
// even when both sides fail alike; it never ends the check.
TEST(MergeChecksumsTest, ARecordASideCannotChecksumIsDifferentWithTheReason) {
  std::string nul = UnverifiableChecksum("field \"Notes\": text holds a NUL");
  auto out = MergeChecksums(
      Table(), From({{"rec1", nul}, {"rec2", "b"}, {"rec3", "c"}}),
      From({{"rec1", nul}, {"rec2", UnverifiableChecksum("too many decimals")}, {"rec3", "c"}}));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->different, 2);
  EXPECT_FALSE(out->clean());
  EXPECT_EQ(out->examples,
            (std::vector<std::string>{
                "rec1: Airtable's value cannot be checked: field \"Notes\": text holds a NUL",
                "rec2: Postgres's value cannot be checked: too many decimals"}));
}

TEST(MergeChecksumsTest, ATableWithAnErrorIsNotClean) {
  TableVerify t;
  EXPECT_TRUE(t.clean());
  t.error = "DATA_LOSS: a page could not be read";
  EXPECT_FALSE(t.clean());
}

// The records whose values differ are kept (the first few) for `airpg
// verify` to name their fields; missing ones are not among them.
TEST(MergeChecksumsTest, KeepsTheIdsOfRecordsWhoseValuesDiffer) {
  auto merged = MergeChecksums(Table(), From({{"rec1", "a"}, {"rec2", "b"}, {"rec3", "c"}}),
                               From({{"rec1", "a"}, {"rec2", "x"}, {"rec4", "d"}}));
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->differing_ids, std::vector<std::string>{"rec2"});
}

TEST(ShortenTest, CutsLongValuesAtACharacterBoundaryWithAnEllipsis) {
  EXPECT_EQ(Shorten("short"), "short");
  EXPECT_EQ(Shorten(std::string(60, 'a')), std::string(60, 'a'));
  EXPECT_EQ(Shorten(std::string(61, 'a')), std::string(59, 'a') + "…");
  // "é" is two bytes: the cut never splits it.
  std::string accents;
  for (int i = 0; i < 40; ++i) accents += "é";
  std::string cut = Shorten(accents, 10);
  EXPECT_EQ(cut, "éééé…");
}

}  // namespace
}  // namespace airpg::migrate
