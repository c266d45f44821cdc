// Edges of two-way sync (issue 16), against the emulator and a real Postgres:
// a link to a row created in Postgres that Airtable cannot know yet survives
// Airtable's cell of the linking record coming back, and is sent once the row
// has its rec id; a table new to a base gets its authority row, guard and
// capture as the schema sync adds it.
#include <gtest/gtest.h>

#include "cli/serve_schema_mirror.h"
#include "emulated_base_test.h"
#include "sync/authority.h"

namespace airpg {
namespace {

using testing::json;
using testing::ReadFile;
constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kRegs = "tblRegistrations1";
const std::string kSchema = "delta_analytics_registration_tracking";

class TwoWayEdgesTest : public testing::TwoWayBaseTest {
 protected:
  TwoWayEdgesTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    StartEmulator(ReadFile(AIRPG_DELTA_SAMPLE));
    // A multi-record link, so that a junction is mirrored too.
    Control("POST", std::string("ui/meta/bases/") + kDelta + "/tables/" + kClients + "/fields",
            {{"name", "Partners"},
             {"type", "multipleRecordLinks"},
             {"options", {{"linkedTableId", kClients}, {"prefersSingleRecordLink", false}}}});
    ASSERT_NO_FATAL_FAILURE(MigrateOnOwnConnection(kDelta));
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
    ASSERT_NO_FATAL_FAILURE(RegisterHook());
  }

  void Dispatch() {
    auto report = DispatchOnce(*client_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
  }

  void DispatchAll() {
    DrainOutbox([this] { Dispatch(); });
  }

  Status Sql(const std::string& sql) { return conn().RunScript(sql); }
  json Record(const std::string& table, const std::string& id) {
    return Control("GET", std::string("ui/") + kDelta + "/" + table + "/" + id);
  }
  void Patch(const std::string& table, const std::string& id, const json& fields) {
    Control("PATCH", std::string("ui/") + kDelta + "/" + table + "/" + id, {{"fields", fields}});
  }
  std::string RowOf(const std::string& record_id) {
    return "(SELECT id FROM " + clients_ + " WHERE airtable_id = '" + record_id + "')";
  }
  std::string Partners() {
    return kSchema + "." +
           Scalar("SELECT relation_table FROM airpg.fields WHERE table_id = '" +
                  std::string(kClients) + "' AND airtable_name = 'Partners'");
  }
  // Harbor's partners in Postgres, by company name (a Postgres-born row has no rec id).
  std::string HarborPartners() {
    return Scalar("SELECT coalesce(string_agg(c." + Column("fldCliName0000001") +
                  ", ',' ORDER BY j.position), '') FROM " + Partners() + " j JOIN " + clients_ +
                  " c ON c.id = j.to_id WHERE j.from_id = " + RowOf("recCliHarbor0001"));
  }

  const std::string clients_ = kSchema + ".clients";
  const std::string regs_ = kSchema + ".registrations";
};

// Issue 16 (item 6 of session 4): a record Airtable knows links, through a
// junction, to a row created in Postgres whose create has not been sent; an
// Airtable edit of the record brings its link cell back without that target
// (Airtable cannot know it). The pair stays, and reaches Airtable once the
// target has its rec id.
TEST_F(TwoWayEdgesTest, AJunctionPairToAPostgresBornRowSurvivesTheInboundCell) {
  sync::AuthorityConfig config;
  config.tables["Clients"].authority = sync::Authority::kBoth;
  Configure(config);
  const std::string company = Column("fldCliName0000001");
  ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Newco')").ok());
  const std::string newco = "(SELECT id FROM " + clients_ + " WHERE " + company + " = 'Newco')";
  ASSERT_TRUE(Sql("INSERT INTO " + Partners() + " (from_id, to_id, position) VALUES (" +
                  RowOf("recCliHarbor0001") + ", " + newco + ", 0)")
                  .ok());
  Patch("Clients", "recCliHarbor0001", {{"Notes", "edited in Airtable"}});
  ApplyPayloads();
  EXPECT_EQ(Scalar("SELECT " + Column("fldCliNotes000001") + " FROM " + clients_ +
                   " WHERE airtable_id = 'recCliHarbor0001'"),
            "edited in Airtable");
  EXPECT_EQ(HarborPartners(), "Newco");
  DispatchAll();
  const std::string newco_id =
      Scalar("SELECT airtable_id FROM " + clients_ + " WHERE " + company + " = 'Newco'");
  ASSERT_EQ(newco_id.rfind("rec", 0), 0u) << newco_id;
  EXPECT_EQ(Record("Clients", "recCliHarbor0001")["fields"]["Partners"], json::array({newco_id}));
  ApplyPayloads();
  EXPECT_EQ(HarborPartners(), "Newco");
}

// The same for the inverse side of the junction and for a single link (a
// foreign key): Airtable's cell of the linking record, or of the inverse,
// does not drop a Postgres-born far end.
TEST_F(TwoWayEdgesTest, AForeignKeyToAPostgresBornRowSurvivesTheInboundCell) {
  sync::AuthorityConfig config;
  config.tables["Clients"].authority = sync::Authority::kBoth;
  config.tables["Registrations"].authority = sync::Authority::kBoth;
  Configure(config);
  const std::string company = Column("fldCliName0000001");
  const std::string client = Column("fldRegClient00001");
  ASSERT_TRUE(Sql("INSERT INTO " + clients_ + " (" + company + ") VALUES ('Newco')").ok());
  const std::string newco = "(SELECT id FROM " + clients_ + " WHERE " + company + " = 'Newco')";
  ASSERT_TRUE(Sql("UPDATE " + regs_ + " SET " + client + " = " + newco +
                  " WHERE airtable_id = 'recRegSoAz000001'")
                  .ok());
  // The junction's inverse: Newco lists Harbor as a partner.
  ASSERT_TRUE(Sql("INSERT INTO " + Partners() + " (from_id, to_id, position) VALUES (" + newco +
                  ", " + RowOf("recCliHarbor0001") + ", 0)")
                  .ok());
  Patch("Registrations", "recRegSoAz000001", {{"Reference", "edited in Airtable"}});
  Patch("Clients", "recCliHarbor0001", {{"Notes", "edited in Airtable"}});
  ApplyPayloads();
  const std::string soaz_client = "SELECT coalesce(c." + company + ", '') FROM " + regs_ +
                                  " r LEFT JOIN " + clients_ + " c ON c.id = r." + client +
                                  " WHERE r.airtable_id = 'recRegSoAz000001'";
  EXPECT_EQ(Scalar("SELECT " + Column("fldRegRef00000001") + " FROM " + regs_ +
                   " WHERE airtable_id = 'recRegSoAz000001'"),
            "edited in Airtable");
  EXPECT_EQ(Scalar(soaz_client), "Newco");
  EXPECT_EQ(Scalar("SELECT count(*) FROM " + Partners() + " WHERE from_id = " + newco), "1");
  DispatchAll();
  const std::string newco_id =
      Scalar("SELECT airtable_id FROM " + clients_ + " WHERE " + company + " = 'Newco'");
  ASSERT_EQ(newco_id.rfind("rec", 0), 0u) << newco_id;
  EXPECT_EQ(Record("Registrations", "recRegSoAz000001")["fields"]["Client"],
            json::array({newco_id}));
  EXPECT_EQ(Record("Clients", newco_id)["fields"]["Partners"], json::array({"recCliHarbor0001"}));
  ApplyPayloads();
  EXPECT_EQ(Scalar(soaz_client), "Newco");
}

// Issue 16 (item 5 of session 4): a table Airtable creates while the sync
// runs — here through serve's Meta API mirror, which migrates it on its own —
// gets its authority row (the sync's settings: authority both for every
// table) with the guard and capture at once: a Postgres insert into it is
// queued and reaches Airtable, without the sync starting again.
TEST_F(TwoWayEdgesTest, ATableNewToTheBaseGetsItsAuthorityGuardAndCaptureAtOnce) {
  sync::AuthorityConfig config;
  config.authority = sync::Authority::kBoth;
  Configure(config);
  json made = Control(
      "POST", std::string("ui/meta/bases/") + kDelta + "/tables",
      {{"name", "Invoices"}, {"fields", {{{"name", "Number"}, {"type", "singleLineText"}}}}});
  ASSERT_TRUE(made.contains("id")) << made.dump();
  const std::string invoices = made["id"];
  api::SchemaMirror mirror = cli::MakeSchemaMirror(*client_, url(), {}, config);
  Status mirrored = mirror(conn(), kDelta);
  ASSERT_TRUE(mirrored.ok()) << mirrored.ToString();
  EXPECT_EQ(
      Scalar("SELECT authority FROM airpg.sync_authority WHERE table_id = '" + invoices + "'"),
      "both");
  EXPECT_EQ(Scalar("SELECT authority FROM airpg.sync_authority WHERE table_id = '" +
                   std::string(kClients) + "'"),
            "both");
  const std::string table =
      kSchema + "." +
      Scalar("SELECT table_name FROM airpg.tables WHERE table_id = '" + invoices + "'");
  const std::string number =
      Scalar("SELECT column_name FROM airpg.fields WHERE table_id = '" + invoices +
             "' AND "
             "airtable_name = 'Number'");
  Status inserted = Sql("INSERT INTO " + table + " (" + number + ") VALUES ('INV-1')");
  ASSERT_TRUE(inserted.ok()) << inserted.ToString();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.outbox WHERE table_id = '" + invoices + "'"), "1");
  DispatchAll();
  json records =
      Control("GET", std::string("ui/") + kDelta + "/" + invoices + "?pageSize=100")["records"];
  ASSERT_EQ(records.size(), 1u) << records.dump();
  EXPECT_EQ(records[0]["fields"]["Number"], "INV-1");
}

}  // namespace
}  // namespace airpg
