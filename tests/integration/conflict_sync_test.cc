// The conflict rules wired into two-way sync (issue 16), against the emulator
// and a real Postgres: many records edited concurrently on both sides —
// one side only, both sides on the same field (in either order), both sides
// on different fields — under each authority and rule. The end state of both
// sides and airpg.conflicts must equal the outcome the test computes on its
// own from the rules as the issue states them; under `manual` the operator's
// resolutions must then reach the losing side through the dispatcher.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>

#include "airtable/transport.h"
#include "emulated_base_test.h"
#include "sync/authority.h"
#include "sync/conflicts.h"
#include "sync/outbox_dispatcher.h"
#include "wait_for.h"

namespace airpg {
namespace {

using sync::Authority;
using sync::ConflictRule;
using testing::json;
using testing::ReadFile;

constexpr const char* kDelta = "appDeltaAnalytic1";
constexpr const char* kClients = "tblClients0000001";
constexpr const char* kNotes = "fldCliNotes000001";
constexpr const char* kCompany = "fldCliName0000001";
// Records per base: AIRPG_CONFLICT_RECORDS overrides every case's count.
int RecordsOr(int fallback) {
  const char* n = std::getenv("AIRPG_CONFLICT_RECORDS");
  return n != nullptr && std::atoi(n) > 0 ? std::atoi(n) : fallback;
}

// What each record goes through, by its index.
enum class Edit {
  kAirtableOnly,       // Airtable edits Notes
  kPostgresOnly,       // Postgres edits Notes
  kBothPostgresFirst,  // both edit Notes, Postgres commits first
  kBothAirtableFirst,  // both edit Notes, Airtable writes first
  kDifferentFields,    // Airtable edits Company, Postgres edits Notes
};
Edit EditOf(int i) { return static_cast<Edit>(i % 5); }

std::string RecordId(int i) { return fmt::format("recLoad{:010d}", i); }
std::string OriginalNotes(int i) { return fmt::format("notes {}", i); }
std::string OriginalCompany(int i) { return fmt::format("Company {}", i); }
std::string AirtableNotes(int i) { return fmt::format("airtable notes {}", i); }
std::string PostgresNotes(int i) { return fmt::format("postgres notes {}", i); }
std::string AirtableCompany(int i) { return fmt::format("Airtable Company {}", i); }

struct Side {
  std::string notes, company;
  bool operator==(const Side&) const = default;
};
void PrintTo(const Side& s, std::ostream* os) { *os << "{" << s.notes << ", " << s.company << "}"; }
struct Outcome {
  Side airtable, postgres;
  // The conflict recorded: its field and "airtable" | "postgres" (decided by
  // the rule, the winner) or "open" (parked).
  std::optional<std::pair<std::string, std::string>> conflict;
};

// The rules, written out independently of the code under test.
Outcome Expect(int i, Authority authority, ConflictRule rule) {
  const Side original{OriginalNotes(i), OriginalCompany(i)};
  Side airtable = original, postgres = original;
  const Edit edit = EditOf(i);
  if (edit != Edit::kPostgresOnly && edit != Edit::kDifferentFields)
    airtable.notes = AirtableNotes(i);
  if (edit == Edit::kDifferentFields) airtable.company = AirtableCompany(i);
  if (edit != Edit::kAirtableOnly) postgres.notes = PostgresNotes(i);
  const bool both_notes = edit == Edit::kBothPostgresFirst || edit == Edit::kBothAirtableFirst;
  Outcome out;
  if (authority == Authority::kPostgres) {
    // Postgres is the truth: any Airtable edit is a conflict Postgres wins,
    // or parked under manual (each side keeps its value).
    if (edit == Edit::kPostgresOnly) return {postgres, postgres, std::nullopt};
    const std::string field = edit == Edit::kDifferentFields ? kCompany : kNotes;
    if (rule == ConflictRule::kManual) {
      Side at = postgres;
      if (field == kNotes) at.notes = airtable.notes;
      if (field == kCompany) at.company = airtable.company;
      return {at, postgres, std::make_pair(field, "open")};
    }
    return {postgres, postgres, std::make_pair(field, "postgres")};
  }
  // Both may write: edits of different fields merge; one side's edit goes across.
  if (!both_notes) {
    Side merged{edit == Edit::kAirtableOnly ? airtable.notes : postgres.notes, airtable.company};
    return {merged, merged, std::nullopt};
  }
  std::string winner;
  switch (rule) {
    case ConflictRule::kAirtableWins:
      winner = "airtable";
      break;
    case ConflictRule::kPostgresWins:
      winner = "postgres";
      break;
    case ConflictRule::kLatest:
      winner = edit == Edit::kBothPostgresFirst ? "airtable" : "postgres";
      break;
    case ConflictRule::kManual:
      return {airtable, postgres, std::make_pair(std::string(kNotes), "open")};
  }
  const Side& won = winner == "airtable" ? airtable : postgres;
  return {won, won, std::make_pair(std::string(kNotes), winner)};
}

struct Case {
  Authority authority;
  ConflictRule rule;
  // Field-level overrides by Airtable name (sync.tables.Clients.fields).
  std::map<std::string, Authority> fields = {};
};

// The rules field by field, for a case with overrides: each field follows
// its own authority (its override, else the table's), and the table's rule
// decides where both sides edited a field both may write. Written out from
// the text, independently of Expect above and of the code under test.
Outcome ExpectPerField(int i, const Case& c) {
  struct Field {
    const char* name;
    const char* id;
    std::string original;
    std::optional<std::string> airtable, postgres;  // the edits made, if any
  };
  const Edit edit = EditOf(i);
  const bool airtable_notes = edit == Edit::kAirtableOnly || edit == Edit::kBothPostgresFirst ||
                              edit == Edit::kBothAirtableFirst;
  Field notes{"Notes", kNotes, OriginalNotes(i)};
  if (airtable_notes) notes.airtable = AirtableNotes(i);
  if (edit != Edit::kAirtableOnly) notes.postgres = PostgresNotes(i);
  Field company{"Company", kCompany, OriginalCompany(i)};
  if (edit == Edit::kDifferentFields) company.airtable = AirtableCompany(i);
  Outcome out;
  auto decide = [&](const Field& f, std::string& at, std::string& pg) {
    auto o = c.fields.find(f.name);
    const Authority authority = o == c.fields.end() ? c.authority : o->second;
    at = pg = f.original;
    auto park = [&](std::string winner) { out.conflict = std::make_pair(f.id, std::move(winner)); };
    switch (authority) {
      case Authority::kAirtable:  // Postgres never writes it (its guard refuses)
        at = pg = f.airtable.value_or(f.original);
        return;
      case Authority::kPostgres:  // an Airtable edit is a conflict Postgres wins
        at = pg = f.postgres.value_or(f.original);
        if (!f.airtable) return;
        if (c.rule == ConflictRule::kManual) {
          at = *f.airtable;
          park("open");
        } else {
          park("postgres");
        }
        return;
      case Authority::kBoth: {
        if (!f.airtable || !f.postgres) {  // one side's edit goes across
          at = pg = f.airtable ? *f.airtable : f.postgres.value_or(f.original);
          return;
        }
        if (c.rule == ConflictRule::kManual) {
          at = *f.airtable;
          pg = *f.postgres;
          park("open");
          return;
        }
        const bool airtable_wins =
            c.rule == ConflictRule::kAirtableWins ||
            (c.rule == ConflictRule::kLatest && edit == Edit::kBothPostgresFirst);
        at = pg = airtable_wins ? *f.airtable : *f.postgres;
        park(airtable_wins ? "airtable" : "postgres");
        return;
      }
    }
  };
  decide(notes, out.airtable.notes, out.postgres.notes);
  decide(company, out.airtable.company, out.postgres.company);
  return out;
}

class ConflictSyncTest : public testing::TwoWayBaseTest,
                         public ::testing::WithParamInterface<Case> {
 protected:
  ConflictSyncTest() : TwoWayBaseTest(kDelta) {}

  void SetUp() override {
    TwoWayBaseTest::SetUp();
    json data = json::parse(ReadFile(AIRPG_DELTA_SAMPLE));
    for (auto& table : data["bases"][0]["tables"]) {
      if (table["id"] != kClients) continue;
      if (without_modified_time_) {
        // No record-level modification time: `latest` takes Airtable's time
        // from the payload, or at the outbound re-read from the read itself.
        auto& fields = table["fields"];
        for (auto f = fields.begin(); f != fields.end();) {
          f = (*f)["type"] == "lastModifiedTime" ? fields.erase(f) : f + 1;
        }
      }
      for (int i = 0; i < records_; ++i) {
        table["records"].push_back(
            {{"id", RecordId(i)},
             {"createdTime", "2024-01-01T00:00:00.000Z"},
             {"fields", {{"Company", OriginalCompany(i)}, {"Notes", OriginalNotes(i)}}}});
      }
    }
    StartEmulator(data.dump());
    ASSERT_TRUE(Run(kDelta).ok());
    sync::AuthorityConfig config;
    config.tables["Clients"].authority = GetParam().authority;
    config.tables["Clients"].conflict = GetParam().rule;
    config.tables["Clients"].fields = GetParam().fields;
    ASSERT_NO_FATAL_FAILURE(Configure(config));
    ASSERT_NO_FATAL_FAILURE(OpenDispatchConnection());
    ASSERT_NO_FATAL_FAILURE(RegisterHook());
    notes_ = Column(kNotes);
    company_ = Column(kCompany);
  }

  sync::DispatchReport Dispatch() {
    sync::DispatchOptions options = NoWaitDispatch();
    options.claim.max_records = 1000;
    auto report = DispatchOnce(*client_, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : sync::DispatchReport{};
  }

  void DispatchAll() {
    DrainOutbox([this] { Dispatch(); });
  }

  // Postgres edits the records `which` selects, in one transaction.
  void EditInPostgres(const std::function<bool(int)>& which) {
    for (int i = 0; i < records_; ++i) {
      if (!which(i)) continue;
      ASSERT_TRUE(
          conn()
              .Run(fmt::format("UPDATE {} SET {} = $1 WHERE airtable_id = $2", clients_, notes_),
                   {PostgresNotes(i), RecordId(i)})
              .ok());
    }
  }

  // Airtable edits the records `which` selects, 10 per request.
  void EditInAirtable(const std::function<bool(int)>& which) {
    std::vector<airtable::RecordWrite> batch;
    auto flush = [&] {
      if (batch.empty()) return;
      ASSERT_TRUE(client_->WriteBatch(kDelta, kClients, batch, {}).status.ok());
      batch.clear();
    };
    for (int i = 0; i < records_; ++i) {
      if (!which(i)) continue;
      airtable::RecordWrite w;
      w.id = RecordId(i);
      if (EditOf(i) == Edit::kDifferentFields) {
        w.fields.emplace_back(kCompany, json(AirtableCompany(i)).dump());
      } else {
        w.fields.emplace_back(kNotes, json(AirtableNotes(i)).dump());
      }
      batch.push_back(std::move(w));
      if (batch.size() == 10) flush();
    }
    flush();
  }

  // Waits (on the clock, not a fixed sleep) until every time Airtable
  // stamps from now on — to the second at worst — is later than Postgres's
  // last commit, so `latest` has an order to find.
  void AfterPostgresCommits() {
    const std::string last = Scalar("SELECT extract(epoch FROM max(created_at)) FROM airpg.outbox");
    const double after = std::floor(std::stod(last)) + 1.0;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                     .count() > after;
        },
        std::chrono::seconds(5)));
  }

  std::map<std::string, Side> PostgresSide() {
    std::map<std::string, Side> out;
    auto rows =
        conn().Exec(fmt::format("SELECT airtable_id, coalesce({}, ''), coalesce({}, '') "
                                "FROM {} WHERE airtable_id LIKE 'recLoad%'",
                                notes_, company_, clients_));
    EXPECT_TRUE(rows.ok());
    for (int i = 0; rows.ok() && i < rows->size(); ++i) {
      out[std::string(rows->Get(i, 0))] = {std::string(rows->Get(i, 1)),
                                           std::string(rows->Get(i, 2))};
    }
    return out;
  }

  Side AirtableSide(int i) {
    json r = Control("GET", std::string("ui/") + kDelta + "/Clients/" + RecordId(i));
    return {r["fields"].value("Notes", ""), r["fields"].value("Company", "")};
  }

  // Both sides and airpg.conflicts against the expected outcome of every record.
  void ExpectOutcome() {
    auto conflicts = sync::ListConflicts(conn(), "", 10000);
    ASSERT_TRUE(conflicts.ok());
    std::map<std::string, std::vector<sync::Conflict>> by_record;
    for (const auto& c : *conflicts) by_record[c.record_id].push_back(c);
    std::map<std::string, Side> postgres = PostgresSide();
    int mismatches = 0;
    for (int i = 0; i < records_ && mismatches < 5; ++i) {
      const Outcome want = GetParam().fields.empty()
                               ? Expect(i, GetParam().authority, GetParam().rule)
                               : ExpectPerField(i, GetParam());
      const Side at = AirtableSide(i);
      const Side pg = postgres[RecordId(i)];
      const auto& got = by_record[RecordId(i)];
      bool ok =
          at == want.airtable && pg == want.postgres && got.size() == (want.conflict ? 1u : 0u);
      if (ok && want.conflict) {
        const sync::Conflict& c = got[0];
        ok = c.field_id == want.conflict->first &&
             (want.conflict->second == "open"
                  ? c.status == "open"
                  : c.status == "resolved" && c.resolution == want.conflict->second);
      }
      if (!ok) {
        ++mismatches;
        ADD_FAILURE() << RecordId(i) << " (edit " << static_cast<int>(EditOf(i)) << "): Airtable {"
                      << at.notes << ", " << at.company << "} want {" << want.airtable.notes << ", "
                      << want.airtable.company << "}; Postgres {" << pg.notes << ", " << pg.company
                      << "} want {" << want.postgres.notes << ", " << want.postgres.company
                      << "}; conflicts " << got.size()
                      << (got.empty() ? "" : " " + got[0].field_id + " " + got[0].status);
      }
    }
    EXPECT_EQ(mismatches, 0);
  }

  void Settle() {
    for (int round = 0; round < 3; ++round) {
      ApplyPayloads();
      DispatchAll();
    }
    ApplyPayloads();
  }

  const std::string clients_ = "delta_analytics_registration_tracking.clients";
  std::string notes_, company_;
  bool without_modified_time_ = false;  // set by a subclass's constructor
  // 200 by default (every case here runs in `make test` on a shared 2-core
  // machine, bound by the emulator's 5 requests/s); the figure of
  // 1,000 runs in ConcurrentEditsOfAThousandRecords.
  int records_ = RecordsOr(200);
};

// The figure: concurrent edits of 1,000 records on both sides.
class ConcurrentEditsOfAThousandRecords : public ConflictSyncTest {
 protected:
  ConcurrentEditsOfAThousandRecords() { records_ = RecordsOr(1000); }
};

TEST_P(ConcurrentEditsOfAThousandRecords, EndAsTheRuleSays) {
  // Postgres first for one group, then Airtable's edits, then Postgres's other edits.
  EditInPostgres([](int i) { return EditOf(i) == Edit::kBothPostgresFirst; });
  AfterPostgresCommits();
  EditInAirtable([](int i) { return EditOf(i) != Edit::kPostgresOnly; });
  EditInPostgres([](int i) {
    Edit e = EditOf(i);
    return e == Edit::kPostgresOnly || e == Edit::kBothAirtableFirst || e == Edit::kDifferentFields;
  });
  Settle();
  ExpectOutcome();
  // Settled means settled: another round changes nothing and records nothing.
  const std::string events = Scalar("SELECT count(*) FROM airpg.conflicts");
  Settle();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), events);
  // A field overridden to airtable refuses Postgres's writes, naming its setting.
  if (auto o = GetParam().fields.find("Company");
      o != GetParam().fields.end() && o->second == Authority::kAirtable) {
    Status refused =
        conn().Run(fmt::format("UPDATE {} SET {} = 'x' WHERE airtable_id = $1", clients_, company_),
                   {RecordId(0)});
    EXPECT_FALSE(refused.ok());
    EXPECT_NE(refused.message().find("sync.tables"), std::string::npos) << refused.ToString();
  }
}

// The same edits, but the dispatcher sends Postgres's changes before the
// inbound sync has applied any of Airtable's: it reads the records from
// Airtable first (one list request per 100 records), so no Airtable edit is
// overwritten silently and the end state is still what the rules say.
TEST_P(ConflictSyncTest, ChangesSentBeforeAirtablesEditsArriveEndAsTheRuleSays) {
  EditInPostgres([](int i) { return EditOf(i) == Edit::kBothPostgresFirst; });
  AfterPostgresCommits();
  EditInAirtable([](int i) { return EditOf(i) != Edit::kPostgresOnly; });
  EditInPostgres([](int i) {
    Edit e = EditOf(i);
    return e == Edit::kPostgresOnly || e == Edit::kBothAirtableFirst || e == Edit::kDifferentFields;
  });
  const sync::DispatchReport first = Dispatch();  // no payload applied yet
  EXPECT_GT(first.reads, 0);
  // One read per 100 records: a tenth of the write requests, never one per record.
  EXPECT_LE(first.reads, (first.claimed + 99) / 100);
  Settle();
  ExpectOutcome();
  const std::string events = Scalar("SELECT count(*) FROM airpg.conflicts");
  Settle();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), events);
}

// Parked conflicts resolved by an operator reach the losing side through the
// running dispatcher, and are marked applied.
class ResolutionSyncTest : public ConflictSyncTest {};

TEST_P(ResolutionSyncTest, ResolvedConflictsReachTheLosingSide) {
  EditInPostgres([](int i) { return EditOf(i) == Edit::kBothPostgresFirst; });
  EditInAirtable([](int i) { return EditOf(i) != Edit::kPostgresOnly; });
  EditInPostgres([](int i) {
    Edit e = EditOf(i);
    return e == Edit::kPostgresOnly || e == Edit::kBothAirtableFirst || e == Edit::kDifferentFields;
  });
  Settle();
  auto open = sync::ListConflicts(conn(), "open", 10000);
  ASSERT_TRUE(open.ok());
  ASSERT_FALSE(open->empty());
  std::map<std::string, std::string> want;  // record id → the value both sides must hold
  bool take_airtable = true;
  for (const auto& c : *open) {
    auto resolved = sync::ResolveConflict(
        conn(), c.id, take_airtable ? sync::Take::kAirtable : sync::Take::kPostgres);
    ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
    want[c.record_id] =
        json::parse(take_airtable ? c.airtable_value : c.postgres_value).get<std::string>();
    take_airtable = !take_airtable;
  }
  sync::DispatchReport report = Dispatch();
  EXPECT_EQ(report.resolutions, static_cast<int64_t>(open->size()));
  Settle();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE applied_at IS NULL"), "0");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts WHERE status = 'open'"), "0");
  std::map<std::string, Side> postgres = PostgresSide();
  for (int i = 0; i < records_; ++i) {
    auto w = want.find(RecordId(i));
    if (w == want.end()) continue;
    const bool company =
        GetParam().authority == Authority::kPostgres && EditOf(i) == Edit::kDifferentFields;
    const Side at = AirtableSide(i);
    const Side& pg = postgres[RecordId(i)];
    EXPECT_EQ(company ? at.company : at.notes, w->second) << RecordId(i);
    EXPECT_EQ(company ? pg.company : pg.notes, w->second) << RecordId(i);
  }
}

// Runs `during` once, while the first PATCH is on its way (after it was
// sent, before airpg hears the answer).
class DuringPatch : public airtable::Transport {
 public:
  explicit DuringPatch(std::function<void()> during) : during_(std::move(during)) {}
  Result<http::Response> Send(const airtable::HttpCall& call) override {
    Result<http::Response> response = inner_.Send(call);
    if (call.method == "PATCH" && during_) {
      during_();
      during_ = nullptr;
    }
    return response;
  }

 private:
  std::function<void()> during_;
  airtable::CurlTransport inner_;
};

class EchoSyncTest : public ConflictSyncTest {};

// Postgres changes a field again while airpg's write of its previous value
// is in flight: airpg's own answer (the older value) neither overwrites the
// newer value nor counts as a conflict; the newer value is sent next.
TEST_P(EchoSyncTest, AnAnswerOlderThanAPostgresChangeKeepsTheNewerValue) {
  const int i = 1;  // Edit::kPostgresOnly
  EditInPostgres([&](int k) { return k == i; });
  auto other = pg::Connection::Open(url());
  ASSERT_TRUE(other.ok());
  const std::string sql = fmt::format("UPDATE {} SET {} = 'newer' WHERE airtable_id = '{}'",
                                      clients_, notes_, RecordId(i));
  auto writer =
      ClientThrough(std::make_unique<DuringPatch>([&] { ASSERT_TRUE(other->Run(sql).ok()); }));
  sync::DispatchOptions options;
  options.claim.owner = "test";
  options.claim.debounce = std::chrono::milliseconds(0);
  sync::OutboxDispatcher dispatcher(*writer, *dispatch_conn_, kDelta, options);
  ASSERT_TRUE(dispatcher.RunOnce().ok());
  EXPECT_EQ(PostgresSide()[RecordId(i)].notes, "newer");
  EXPECT_EQ(AirtableSide(i).notes, PostgresNotes(i));
  Settle();
  EXPECT_EQ(PostgresSide()[RecordId(i)].notes, "newer");
  EXPECT_EQ(AirtableSide(i).notes, "newer");
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "0");
}

// An Airtable edit met by two Postgres changes of the field, both pending,
// in a table with no lastModifiedTime field. The inbound apply decides the
// clash against the first change; the second change then meets the same
// Airtable value at the outbound re-read. That value already lost (or won)
// once: it is not a new Airtable edit, so the decision stands — one
// conflict row, and both sides end with the value the rule says.
class SecondChangeTest : public ConflictSyncTest {
 protected:
  SecondChangeTest() { without_modified_time_ = true; }

  // Waits (on the clock) until every time stamped from now on is later than
  // now — to the second at worst — so `latest` has an order to find.
  void NextSecond() {
    auto now = [] {
      return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
    const double after = std::floor(now()) + 1.0;
    ASSERT_TRUE(testing::WaitFor([&] { return now() > after; }, std::chrono::seconds(5)));
  }

  void SetNotes(const std::string& value) {
    ASSERT_TRUE(
        conn()
            .Run(fmt::format("UPDATE {} SET {} = $1 WHERE airtable_id = $2", clients_, notes_),
                 {value, RecordId(kRecord)})
            .ok());
  }

  // How the rule decides the clash of Airtable's edit with change 1.
  static std::string Decided() {
    const ConflictRule rule = GetParam().rule;
    return rule == ConflictRule::kManual         ? "open"
           : rule == ConflictRule::kAirtableWins ? "airtable"
                                                 : "postgres";
  }
  static std::string HowEnded(const sync::Conflict& c) {
    return c.status == "open" ? "open" : c.resolution.value_or("");
  }

  // The one conflict of Notes, for Airtable's one edit, decided as the rule says.
  void ExpectOneNotesConflict() {
    auto conflicts = sync::ListConflicts(conn(), "", 10);
    ASSERT_TRUE(conflicts.ok());
    int notes = 0;
    for (const auto& c : *conflicts) {
      if (c.field_id != kNotes) continue;
      ++notes;
      EXPECT_EQ(c.airtable_value, json(AirtableNotes(kRecord)).dump());
      EXPECT_EQ(HowEnded(c), Decided());
    }
    EXPECT_EQ(notes, 1);
  }

  // Airtable edits Notes; Postgres changes it later; the inbound apply
  // decides that clash with change 1 still pending; then change 2.
  void LostThenChangedAgain() {
    EditInAirtable([](int k) { return k == kRecord; });
    ASSERT_NO_FATAL_FAILURE(NextSecond());
    ASSERT_NO_FATAL_FAILURE(SetNotes("postgres 1"));
    ApplyPayloads();
    auto first = sync::ListConflicts(conn(), "", 10);
    ASSERT_TRUE(first.ok());
    ASSERT_EQ(first->size(), 1u);
    EXPECT_EQ(HowEnded((*first)[0]), Decided());
    ASSERT_NO_FATAL_FAILURE(SetNotes("postgres 2"));
  }

  static constexpr int kRecord = 3;  // Edit::kBothAirtableFirst
};

TEST_P(SecondChangeTest, AnAirtableEditThatLostStaysLostAgainstTheNextPostgresChange) {
  ASSERT_NO_FATAL_FAILURE(LostThenChangedAgain());
  // Neither change pushed yet: the re-read finds Airtable's edit still there.
  Settle();
  Side want_airtable{"postgres 2", OriginalCompany(kRecord)};
  if (GetParam().rule == ConflictRule::kManual) want_airtable.notes = AirtableNotes(kRecord);
  EXPECT_EQ(AirtableSide(kRecord), want_airtable);
  EXPECT_EQ(PostgresSide()[RecordId(kRecord)], (Side{"postgres 2", OriginalCompany(kRecord)}));
  ExpectOneNotesConflict();
  EXPECT_EQ(Scalar("SELECT count(*) FROM airpg.conflicts"), "1");
}

// The same, but the second Postgres change meets Airtable's value in a
// later payload: Airtable edits another field of the record, later than both
// Postgres changes. The Notes value in that payload is still the one that
// lost; the newer edit time belongs to Company, not to it.
TEST_P(SecondChangeTest, AnotherAirtableEditOfTheRecordDoesNotReviveTheLostValue) {
  ASSERT_NO_FATAL_FAILURE(LostThenChangedAgain());
  ASSERT_NO_FATAL_FAILURE(NextSecond());
  airtable::RecordWrite w;
  w.id = RecordId(kRecord);
  w.fields.emplace_back(kCompany, json("Later Company").dump());
  ASSERT_TRUE(client_->WriteBatch(kDelta, kClients, {w}, {}).status.ok());
  ApplyPayloads();
  Settle();
  Side want_airtable{"postgres 2", "Later Company"};
  if (GetParam().rule == ConflictRule::kManual) want_airtable.notes = AirtableNotes(kRecord);
  // Under authority postgres the Company edit is overwritten (its own conflict).
  if (GetParam().authority == Authority::kPostgres) {
    want_airtable.company = OriginalCompany(kRecord);
  }
  EXPECT_EQ(AirtableSide(kRecord), want_airtable);
  EXPECT_EQ(PostgresSide()[RecordId(kRecord)], (Side{"postgres 2", want_airtable.company}));
  ExpectOneNotesConflict();
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = std::string(sync::AuthorityName(info.param.authority)) + "_" +
                     std::string(sync::ConflictRuleName(info.param.rule));
  for (const auto& [field, authority] : info.param.fields) {
    name += "_" + field + "_" + std::string(sync::AuthorityName(authority));
  }
  return name;
}

// Every rule, and the per-field override.
const auto kRuleCases = ::testing::Values(
    Case{Authority::kBoth, ConflictRule::kAirtableWins},
    Case{Authority::kBoth, ConflictRule::kPostgresWins},
    Case{Authority::kBoth, ConflictRule::kLatest}, Case{Authority::kBoth, ConflictRule::kManual},
    Case{Authority::kPostgres, ConflictRule::kLatest},
    Case{Authority::kPostgres, ConflictRule::kManual},
    // The issue's `fields: {Status: airtable, Notes: both}` on a table
    // Postgres owns (Company stands for Status): every edit kind ends
    // otherwise than under the table's authority alone.
    Case{Authority::kPostgres,
         ConflictRule::kLatest,
         {{"Company", Authority::kAirtable}, {"Notes", Authority::kBoth}}});

INSTANTIATE_TEST_SUITE_P(Rules, ConflictSyncTest, kRuleCases, CaseName);
INSTANTIATE_TEST_SUITE_P(Rules, ConcurrentEditsOfAThousandRecords, kRuleCases, CaseName);

INSTANTIATE_TEST_SUITE_P(Latest, EchoSyncTest,
                         ::testing::Values(Case{Authority::kBoth, ConflictRule::kLatest},
                                           Case{Authority::kBoth, ConflictRule::kAirtableWins}),
                         CaseName);

INSTANTIATE_TEST_SUITE_P(Rules, SecondChangeTest,
                         ::testing::Values(Case{Authority::kBoth, ConflictRule::kLatest},
                                           Case{Authority::kBoth, ConflictRule::kAirtableWins},
                                           Case{Authority::kBoth, ConflictRule::kPostgresWins},
                                           Case{Authority::kBoth, ConflictRule::kManual},
                                           Case{Authority::kPostgres, ConflictRule::kLatest}),
                         CaseName);

// Only `manual` parks conflicts for an operator.
INSTANTIATE_TEST_SUITE_P(Manual, ResolutionSyncTest,
                         ::testing::Values(Case{Authority::kBoth, ConflictRule::kManual},
                                           Case{Authority::kPostgres, ConflictRule::kManual}),
                         CaseName);

}  // namespace
}  // namespace airpg
