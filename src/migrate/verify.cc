#include "migrate/verify.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/sql_identifier.h"
#include "migrate/migrator.h"
#include "migrate/postgres_checksums.h"
#include "migrate/record_checksum.h"

namespace airpg::migrate {
namespace {
constexpr size_t kExamples = 10;
// Real checksums are hex digits; this prefix cannot start one.
constexpr std::string_view kUnverifiable = "!unverifiable: ";

bool IsUnverifiable(std::string_view sum) { return sum.starts_with(kUnverifiable); }
}  // namespace

std::string Shorten(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t cut = max > 1 ? max - 1 : 0;
  // Back up to the start of a UTF-8 character (never cut one in half).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "…";
}

std::string UnverifiableChecksum(std::string_view reason) {
  return std::string(kUnverifiable) + std::string(reason);
}

bool VerifyReport::clean() const {
  for (const auto& t : tables) {
    if (!t.clean()) return false;
  }
  return true;
}

namespace {

// One side of a merge: the current record (the last checksum of a repeated
// id) and one record read ahead.
class MergeSide {
 public:
  MergeSide(const ChecksumSource& source, std::string_view side) : source_(source), side_(side) {}

  Status Start() {
    AIRPG_ASSIGN_OR_RETURN(has_next_, source_(&next_id_, &next_sum_));
    return Advance();
  }

  Status Advance() {
    if (!has_next_) {
      at_end_ = true;
      return Status::Ok();
    }
    id_.swap(next_id_);
    sum_.swap(next_sum_);
    for (;;) {
      AIRPG_ASSIGN_OR_RETURN(has_next_, source_(&next_id_, &next_sum_));
      if (!has_next_ || next_id_ != id_) break;
      sum_.swap(next_sum_);
    }
    if (has_next_ && next_id_ < id_) {
      return InternalError(
          fmt::format("{} checksums out of record id order: {} after {}", side_, next_id_, id_));
    }
    ++count_;
    return Status::Ok();
  }

  bool at_end() const { return at_end_; }
  const std::string& id() const { return id_; }
  const std::string& sum() const { return sum_; }
  int64_t count() const { return count_; }

 private:
  const ChecksumSource& source_;
  std::string_view side_;
  std::string id_, sum_, next_id_, next_sum_;
  bool has_next_ = false;
  bool at_end_ = false;
  int64_t count_ = 0;
};

ChecksumSource MapSource(const std::map<std::string, std::string>& map) {
  return [it = map.begin(), end = map.end()](std::string* id, std::string* sum) mutable {
    if (it == end) return Result<bool>(false);
    *id = it->first;
    *sum = it->second;
    ++it;
    return Result<bool>(true);
  };
}

}  // namespace

Result<TableVerify> MergeChecksums(const mapping::TablePlan& table, const ChecksumSource& airtable,
                                   const ChecksumSource& postgres) {
  TableVerify out;
  out.table_id = table.table_id;
  out.table_name = table.table_name;
  auto example = [&](std::string text) {
    if (out.examples.size() < kExamples) out.examples.push_back(std::move(text));
  };
  MergeSide a(airtable, "Airtable"), p(postgres, "Postgres");
  AIRPG_RETURN_IF_ERROR(a.Start());
  AIRPG_RETURN_IF_ERROR(p.Start());
  while (!a.at_end() || !p.at_end()) {
    if (p.at_end() || (!a.at_end() && a.id() < p.id())) {
      ++out.missing_in_postgres;
      example(fmt::format("{}: missing in Postgres", a.id()));
      AIRPG_RETURN_IF_ERROR(a.Advance());
    } else if (a.at_end() || p.id() < a.id()) {
      ++out.missing_in_airtable;
      example(fmt::format("{}: in Postgres, not in Airtable", p.id()));
      AIRPG_RETURN_IF_ERROR(p.Advance());
    } else {
      if (IsUnverifiable(a.sum())) {
        ++out.different;
        example(fmt::format("{}: Airtable's value cannot be checked: {}", a.id(),
                            a.sum().substr(kUnverifiable.size())));
      } else if (IsUnverifiable(p.sum())) {
        ++out.different;
        example(fmt::format("{}: Postgres's value cannot be checked: {}", a.id(),
                            p.sum().substr(kUnverifiable.size())));
      } else if (a.sum() != p.sum()) {
        ++out.different;
        example(fmt::format("{}: values differ", a.id()));
        if (out.differing_ids.size() < kExamples) out.differing_ids.push_back(a.id());
      }
      AIRPG_RETURN_IF_ERROR(a.Advance());
      AIRPG_RETURN_IF_ERROR(p.Advance());
    }
  }
  out.airtable_records = a.count();
  out.postgres_records = p.count();
  return out;
}

TableVerify CompareChecksums(const mapping::TablePlan& table,
                             const std::map<std::string, std::string>& airtable,
                             const std::map<std::string, std::string>& postgres) {
  // Maps are ordered and hold each id once: the merge cannot fail.
  return *MergeChecksums(table, MapSource(airtable), MapSource(postgres));
}

Result<VerifyReport> VerifyStaging(pg::Connection& conn, std::string_view staging_schema,
                                   const mapping::SchemaPlan& plan, int64_t run_id) {
  VerifyReport report;
  AIRPG_ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn));
  for (const auto& table : plan.tables) {
    AIRPG_ASSIGN_OR_RETURN(SkipMap skip, ReadRejectedCells(conn, run_id, table.table_id));
    AIRPG_ASSIGN_OR_RETURN(PostgresChecksumReader postgres,
                           PostgresChecksumReader::Open(tx, "postgres_checksums", staging_schema,
                                                        plan, table, skip, /*with_links=*/false));
    AIRPG_ASSIGN_OR_RETURN(
        pg::Cursor airtable,
        pg::Cursor::Open(tx, "airtable_checksums",
                         fmt::format("SELECT record_id, checksum FROM {} WHERE table_id = $1 "
                                     "ORDER BY record_id COLLATE \"C\"",
                                     QualifiedName(staging_schema, "_checksums")),
                         {table.table_id}, PostgresChecksumReader::kBatch));
    ChecksumSource airtable_source = [&](std::string* id, std::string* sum) -> Result<bool> {
      AIRPG_ASSIGN_OR_RETURN(bool more, airtable.Advance());
      if (more) {
        *id = airtable.Get(0);
        *sum = airtable.Get(1);
      }
      return more;
    };
    ChecksumSource postgres_source = [&](std::string* id, std::string* sum) {
      return postgres.Next(id, sum);
    };
    AIRPG_ASSIGN_OR_RETURN(TableVerify verified,
                           MergeChecksums(table, airtable_source, postgres_source));
    report.tables.push_back(std::move(verified));
    AIRPG_RETURN_IF_ERROR(airtable.Close());
    AIRPG_RETURN_IF_ERROR(postgres.Close());
  }
  AIRPG_RETURN_IF_ERROR(tx.Commit());
  return report;
}

namespace {

std::string Shown(const std::optional<std::string>& cell) {
  return cell ? Shorten(*cell) : "(empty)";
}

// Names the fields that differ in the records of `out.differing_ids`, with
// both values, and says so in their examples. Each record is read again
// (verification priority; at most kExamples requests a table); one deleted
// or changed back since keeps its plain example. Only a lost connection or
// an outage is an error.
Status ExplainDifferences(airtable::Client& client, pg::Connection& conn, std::string_view base_id,
                          std::string_view schema, const mapping::SchemaPlan& plan,
                          const mapping::TablePlan& table, const SkipMap& skip, TableVerify& out) {
  if (out.differing_ids.empty()) return Status::Ok();
  AIRPG_ASSIGN_OR_RETURN(
      auto postgres,
      PostgresRecordCells(conn, schema, plan, table, out.differing_ids, /*with_links=*/true));
  static const std::set<std::string, std::less<>> kNone;
  for (const std::string& record_id : out.differing_ids) {
    auto rebuilt = postgres.find(record_id);
    if (rebuilt == postgres.end()) continue;
    Result<airtable::Record> record =
        client.GetRecord(base_id, table.table_id, record_id, /*return_fields_by_field_id=*/true,
                         airtable::Priority::kVerification);
    if (!record.ok()) {
      if (IsTransient(record.status().code()) || record.status().code() == StatusCode::kCancelled) {
        return record.status();
      }
      continue;
    }
    auto skipped = skip.find(record_id);
    const auto& skip_fields = skipped == skip.end() ? kNone : skipped->second;
    auto airtable_cell = [&](const mapping::FieldPlan& f) { return record->Cell(f.field.id); };
    auto postgres_cell = [&](const mapping::FieldPlan& f) -> std::optional<std::string_view> {
      auto c = rebuilt->second.find(f.field.id);
      if (c == rebuilt->second.end() || !c->second) return std::nullopt;
      return std::string_view(*c->second);
    };
    auto a = CanonicalCells(table, airtable_cell, skip_fields, /*with_links=*/true);
    auto p = CanonicalCells(table, postgres_cell, skip_fields, /*with_links=*/true);
    if (!a.ok() || !p.ok() || a->size() != p->size()) continue;
    std::string named;
    for (size_t i = 0; i < a->size(); ++i) {
      if ((*a)[i].second == (*p)[i].second) continue;
      const mapping::FieldPlan& f = *(*a)[i].first;
      FieldDifference d{record_id, f.field.id, f.field.name, {}, {}};
      if (auto c = airtable_cell(f)) d.airtable = std::string(*c);
      if (auto c = postgres_cell(f)) d.postgres = std::string(*c);
      named += fmt::format("{}field \"{}\": Airtable {}, Postgres {}", named.empty() ? "" : "; ",
                           f.field.name, Shown(d.airtable), Shown(d.postgres));
      out.field_differences.push_back(std::move(d));
    }
    if (named.empty()) continue;
    for (std::string& e : out.examples) {
      if (e == record_id + ": values differ") e = record_id + ": " + named;
    }
  }
  return Status::Ok();
}

Result<TableVerify> VerifyTableAgainstAirtable(airtable::Client& client, pg::Connection& conn,
                                               std::string_view base_id, std::string_view schema,
                                               const mapping::SchemaPlan& plan,
                                               const mapping::TablePlan& table, int64_t run_id,
                                               const VerifyProgressCallback& on_progress) {
  AIRPG_ASSIGN_OR_RETURN(SkipMap skip, ReadRejectedCells(conn, run_id, table.table_id));
  AIRPG_ASSIGN_OR_RETURN(auto postgres, PostgresChecksums(conn, schema, plan, table, skip,
                                                          /*with_links=*/true));
  std::map<std::string, std::string> airtable;
  airtable::ListOptions options;
  options.return_fields_by_field_id = true;
  airtable::RecordPager pager =
      client.ListRecords(base_id, table.table_id, options, airtable::Priority::kVerification);
  static const std::set<std::string, std::less<>> kNone;
  VerifyProgress progress{
      table.table_id, table.table_name, 0, 0, static_cast<int64_t>(postgres.size()), false};
  for (;;) {
    AIRPG_ASSIGN_OR_RETURN(auto page, pager.Next());
    if (!page) break;
    progress.records += static_cast<int64_t>(page->records.size());
    ++progress.pages;
    if (on_progress) on_progress(progress);
    for (const auto& record : page->records) {
      auto it = skip.find(record.id);
      Result<std::string> sum = AirtableRecordChecksum(
          table, record, it == skip.end() ? kNone : it->second, /*with_links=*/true);
      airtable[record.id] =
          sum.ok() ? *std::move(sum) : UnverifiableChecksum(sum.status().message());
    }
  }
  progress.done = true;
  if (on_progress) on_progress(progress);
  TableVerify verified = CompareChecksums(table, airtable, postgres);
  AIRPG_RETURN_IF_ERROR(
      ExplainDifferences(client, conn, base_id, schema, plan, table, skip, verified));
  return verified;
}

}  // namespace

Result<VerifyReport> VerifyAgainstAirtable(airtable::Client& client, pg::Connection& conn,
                                           std::string_view base_id, std::string_view schema,
                                           const mapping::SchemaPlan& plan, int64_t run_id,
                                           const std::vector<std::string>& tables,
                                           const VerifyProgressCallback& on_progress) {
  VerifyReport report;
  for (const auto& table : plan.tables) {
    if (!tables.empty() &&
        std::find(tables.begin(), tables.end(), table.table_id) == tables.end()) {
      continue;
    }
    Result<TableVerify> verified =
        VerifyTableAgainstAirtable(client, conn, base_id, schema, plan, table, run_id, on_progress);
    // A table that cannot be read at all (a page Airtable's parser refuses,
    // a query that fails on a row) is reported, and the others still are; a
    // lost connection or an outage stops the whole check (try again later).
    if (!verified.ok() && (IsTransient(verified.status().code()) ||
                           verified.status().code() == StatusCode::kCancelled)) {
      return verified.status();
    }
    if (!verified.ok()) {
      TableVerify failed;
      failed.table_id = table.table_id;
      failed.table_name = table.table_name;
      failed.error = verified.status().ToString();
      failed.examples.push_back("cannot be compared: " + failed.error);
      verified = std::move(failed);
    }
    report.tables.push_back(std::move(verified).value());
  }
  return report;
}

Result<BaseVerify> VerifyBase(airtable::Client& client, pg::Connection& conn,
                              std::string_view base_id, const std::vector<std::string>& tables,
                              const VerifyProgressCallback& on_progress) {
  std::string base(base_id);
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      conn.Exec("SELECT schema_name, active_run_id FROM airpg.bases WHERE base_id = $1", {base}));
  if (rows.empty() || rows.IsNull(0, 1)) {
    return FailedPreconditionError(fmt::format(
        "base {} has not been migrated yet: run `airpg migrate --base {}`", base_id, base_id));
  }
  BaseVerify out;
  out.schema = rows.Get(0, 0);
  out.run_id = std::stoll(std::string(rows.Get(0, 1)));
  AIRPG_ASSIGN_OR_RETURN(mapping::SchemaPlan plan, PlanBase(client, &conn, base_id, {}));
  // Links need the whole base planned; only the tables asked for are compared.
  std::vector<std::string> table_ids;
  for (const std::string& name : tables) {
    const mapping::TablePlan* found = nullptr;
    for (const auto& t : plan.tables) {
      if (t.table_id == name || t.airtable_name == name || t.table_name == name) found = &t;
    }
    if (found == nullptr) {
      std::string known;
      for (const auto& t : plan.tables) known += (known.empty() ? "" : ", ") + t.table_name;
      return InvalidArgumentError(
          fmt::format("--tables {}: base {} has no such table (it has: {})", name, base_id, known));
    }
    table_ids.push_back(found->table_id);
  }
  AIRPG_ASSIGN_OR_RETURN(out.report, VerifyAgainstAirtable(client, conn, base_id, out.schema, plan,
                                                           out.run_id, table_ids, on_progress));
  return out;
}

}  // namespace airpg::migrate
