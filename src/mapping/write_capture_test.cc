#include "mapping/write_capture.h"

#include <gtest/gtest.h>

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
  TablePlan clients;
  clients.table_id = "tblClients";
  clients.table_name = "clients";
  clients.fields = {
      Field("fldPartners", Storage::kJunction, LinkRole::kJunction, "clients__partners"),
      Field("fldTeam", Storage::kUserJunction, LinkRole::kNone, "clients__team"),
      Field("fldTier", Storage::kChoice, LinkRole::kNone, "clients__tier_choices"),
      Field("fldUnnamed", Storage::kJunction, LinkRole::kJunction, ""),
  };
  TablePlan regs;
  regs.table_id = "tblRegs";
  regs.table_name = "registrations";
  regs.fields = {
      Field("fldClient", Storage::kForeignKey, LinkRole::kForeignKey, ""),
      Field("fldInverse", Storage::kJunction, LinkRole::kJunctionInverse, "clients__partners"),
  };
  plan.tables = {clients, regs};
  EXPECT_EQ(Describe(CaptureTargets(plan)),
            "clients:tblClients:- clients__partners:tblClients:fldPartners "
            "clients__team:tblClients:fldTeam registrations:tblRegs:- ");
  EXPECT_TRUE(CaptureTargets(SchemaPlan{}).empty());
}

}  // namespace
}  // namespace airpg::mapping
