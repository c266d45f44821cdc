#include "mapping/write_capture.h"

#include <gtest/gtest.h>

#include <utility>

namespace airpg::mapping {
namespace {

FieldPlan Field(const std::string& id, Storage storage, LinkRole role,
                const std::string& relation) {
  FieldPlan f;
  f.field.id = id;
  f.column.storage = storage;
  f.link_role = role;
  f.relation_table = relation;
  return f;
}

TablePlan Table(const std::string& id, const std::string& name, std::vector<FieldPlan> fields) {
  TablePlan t;
  t.table_id = id;
  t.table_name = name;
  t.fields = std::move(fields);
  return t;
}

std::string Describe(const std::vector<CaptureTarget>& targets) {
  std::string out;
  for (const CaptureTarget& c : targets) {
    out += c.relation + ":" + c.table_id + ":" + c.field_id.value_or("-") + " ";
  }
  return out;
}

// Every table, and only the junctions a table's field owns: not the inverse
// side of a link, a foreign key, a choices table or a field whose junction
// has no name yet.
TEST(CaptureTargetsTest, TablesAndTheJunctionsTheirFieldsOwn) {
  SchemaPlan plan;
  plan.tables = {
      Table("tblClients", "clients",
            {Field("fldPartners", Storage::kJunction, LinkRole::kJunction, "clients__partners"),
             Field("fldTeam", Storage::kUserJunction, LinkRole::kNone, "clients__team"),
             Field("fldTier", Storage::kChoice, LinkRole::kNone, "clients__tier_choices"),
             Field("fldUnnamed", Storage::kJunction, LinkRole::kJunction, "")}),
      Table("tblRegs", "registrations",
            {Field("fldClient", Storage::kForeignKey, LinkRole::kForeignKey, ""),
             Field("fldInverse", Storage::kJunction, LinkRole::kJunctionInverse,
                   "clients__partners")}),
  };
  EXPECT_EQ(Describe(CaptureTargets(plan)),
            "clients:tblClients:- clients__partners:tblClients:fldPartners "
            "clients__team:tblClients:fldTeam registrations:tblRegs:- ");
  EXPECT_TRUE(CaptureTargets(SchemaPlan{}).empty());
}

}  // namespace
}  // namespace airpg::mapping
