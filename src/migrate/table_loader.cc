#include "migrate/table_loader.h"

#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <unordered_set>

#include "base/bounded_queue.h"
#include "base/sql_identifier.h"
#include "blobs/attachment_fetcher.h"
#include "blobs/attachment_rows.h"
#include "mapping/ddl.h"
#include "mapping/record_row.h"
#include "migrate/batch_writer.h"
#include "migrate/record_checksum.h"
#include "pg/quote.h"
#include "pg/transaction.h"

namespace airpg::migrate {
namespace {

using Skip = std::set<std::string, std::less<>>;  // the fields whose cell was rejected

// An attachment of a cell, fetched for the whole page at once (in parallel).
struct PendingAttachment {
  size_t record;  // index in the page
  std::string field_id;
  int position;
  Attachment attachment;
};

// Rows written per COPY: pages are gathered up to this many records, so a
// table of N records costs N / kRowsPerWrite COPY round trips per target
// table instead of one per 100-record page.
constexpr size_t kRowsPerWrite = 5000;

// Everything one page becomes, handed to the BatchWriter once converted.
struct PageRows {
  std::vector<RecordRows> records;
  std::vector<PendingAttachment> pending;
  std::vector<Skip> rejected;  // per record: the fields whose cell was rejected
  int64_t attachment_count = 0;
};

class PageConverter {
 public:
  PageConverter(LoadContext& ctx, const mapping::TablePlan& table) : ctx_(ctx), table_(table) {
    for (const auto& f : table.fields) field_ids_.insert(f.field.id);
  }

  void Convert(airtable::Record record, PageRows& out) {
    mapping::RecordRow converted = mapping::ConvertRecord(table_, record);
    RecordRows rows;
    Row row;
    row.reserve(converted.columns.size() + 4);
    row.push_back(record.id);
    for (mapping::PgValue& value : converted.columns) row.push_back(ToParam(std::move(value)));
    row.push_back(record.created_time.empty() ? pg::Param() : pg::Param(record.created_time));
    row.push_back(converted.modified_time.empty() ? pg::Param()
                                                  : pg::Param(converted.modified_time));
    row.push_back(converted.cell_errors ? pg::Param(*converted.cell_errors) : pg::Param());
    rows.main = std::move(row);
    for (const auto& ref : converted.references) {
      // The inverse of a single-record link is stored by the other side's key.
      if (table_.FindField(ref.field_id)->link_role == mapping::LinkRole::kForeignKeyInverse) {
        continue;
      }
      rows.links.push_back({ref.field_id, record.id, std::to_string(ref.position), ref.target});
    }
    rows.users = std::move(converted.users);
    if (ctx_.fetcher != nullptr) {  // null in a dry run
      for (auto& a : converted.attachments) {
        out.pending.push_back({out.records.size(), a.field_id, a.position, a.attachment});
      }
    }
    for (const auto& r : converted.rejects) {
      Reject(record, r.field_id, r.raw_value, r.reason, rows);
    }
    RejectUnknownFields(record, rows);
    // Airtable lists this record in the inverse cell of every record a
    // single-record link names; the key keeps only the first, so those other
    // inverse cells are short of it: they go to the ledger too (verify skips
    // them), named by the linking record.
    for (const auto& dropped : converted.dropped_links) {
      const mapping::FieldPlan* f = table_.FindField(dropped.field_id);
      if (f->inverse_field_id.empty()) continue;
      rows.rejects.push_back(
          {std::to_string(ctx_.run_id), ctx_.base_id, f->linked_table_id, dropped.target,
           f->inverse_field_id, record.id,
           fmt::format("the link from {} (field {} of table {}) is not kept: that "
                       "single-record link holds more than one record",
                       record.id, f->field.name, table_.airtable_name)});
    }
    out.rejected.push_back(std::move(converted.rejected_fields));
    rows.record = std::move(record);
    out.records.push_back(std::move(rows));
  }

  void Reject(const airtable::Record& record, const std::string& field_id,
              std::optional<std::string_view> cell, std::string_view reason, RecordRows& out) {
    out.rejects.push_back({std::to_string(ctx_.run_id), ctx_.base_id, table_.table_id, record.id,
                           field_id, cell ? pg::Param(std::string(*cell)) : pg::Param(),
                           std::string(reason)});
  }

  // Cells of fields the run's plan does not have (created in Airtable while
  // the run read): the ledger keeps each, since the table has no column yet.
  void RejectUnknownFields(const airtable::Record& record, RecordRows& out) {
    for (size_t i = 0; i < record.field_count(); ++i) {
      std::string_view key = record.FieldKey(i);
      if (field_ids_.count(key)) continue;
      Reject(record, std::string(key), record.FieldJson(i),
             "field created during migration: run migrate again", out);
    }
  }

  // Downloads the page's attachments (in parallel, outside the table's
  // transaction) and then checksums each record without its rejected cells.
  Status Finish(PageRows& out) {
    if (!out.pending.empty()) {
      std::vector<Attachment> wanted;
      for (const auto& p : out.pending) wanted.push_back(p.attachment);
      auto stored = ctx_.fetcher->FetchAll(ctx_.conninfo, wanted, ctx_.download_threads);
      for (size_t i = 0; i < stored.size(); ++i) {
        const PendingAttachment& p = out.pending[i];
        RecordRows& rows = out.records[p.record];
        const airtable::Record& record = rows.record;
        if (!stored[i].ok()) {
          // One ledger row per failed attachment, not only the cell's first:
          // each names its own file and reason (issue 14).
          out.rejected[p.record].insert(p.field_id);
          Reject(record, p.field_id, record.Cell(p.field_id),
                 fmt::format("attachment {} ({}) not stored: {}", p.attachment.id,
                             p.attachment.filename, stored[i].status().message()),
                 rows);
          continue;
        }
        rows.attachments.push_back(blobs::AttachmentRow(
            ctx_.staging_schema, table_.table_id,
            {record.id, p.field_id, p.position, std::move(stored[i]).value()}));
        ++out.attachment_count;
      }
    }
    for (size_t i = 0; i < out.records.size(); ++i) {
      const airtable::Record& record = out.records[i].record;
      AIRPG_ASSIGN_OR_RETURN(std::string sum,
                             AirtableRecordChecksum(table_, record, out.rejected[i],
                                                    /*with_links=*/false));
      out.records[i].checksum = {table_.table_id, record.id, std::move(sum)};
    }
    return Status::Ok();
  }

 private:
  static pg::Param ToParam(mapping::PgValue value) {
    if (value.is_null) return pg::Param();
    if (value.array) {
      std::vector<std::optional<std::string>> items(value.array->begin(), value.array->end());
      return pg::ArrayLiteral(items);
    }
    return pg::Param(std::move(value.text));
  }

  LoadContext& ctx_;
  const mapping::TablePlan& table_;
  std::unordered_set<std::string_view> field_ids_;  // views of table_'s field ids
};

}  // namespace

std::vector<std::string> ScratchTableDdl(std::string_view staging_schema) {
  return {
      fmt::format("CREATE UNLOGGED TABLE {} (field_id text NOT NULL, from_record text NOT NULL, "
                  "position integer NOT NULL, to_record text NOT NULL)",
                  QualifiedName(staging_schema, "_links")),
      fmt::format("CREATE INDEX ON {} (field_id)", QualifiedName(staging_schema, "_links")),
      fmt::format("CREATE UNLOGGED TABLE {} (table_id text NOT NULL, record_id text NOT NULL, "
                  "checksum text NOT NULL)",
                  QualifiedName(staging_schema, "_checksums")),
  };
}

Result<TableSummary> LoadTable(LoadContext& ctx, const mapping::TablePlan& table) {
  auto started = std::chrono::steady_clock::now();
  TableSummary summary;
  summary.table_id = table.table_id;
  summary.table_name = table.table_name;

  // Fetching runs ahead while this thread converts and loads: up to 32 pages
  // (a few MB), so it goes on while a batch of kRowsPerWrite rows is COPYed
  // (with 4, the loading of 200,000 records took 3.2 s instead of 2.5 s).
  BoundedQueue<Result<airtable::RecordPage>> pages(32);
  std::thread producer([&] {
    airtable::ListOptions options;
    options.return_fields_by_field_id = true;
    airtable::RecordPager pager = ctx.client->ListRecords(ctx.base_id, table.table_id, options);
    for (int number = 1;; ++number) {
      auto page = pager.Next();
      if (!page.ok()) {
        // Past the client's retries: the run fails, saying where.
        pages.Push(
            Status(page.status().code(),
                   fmt::format("table {} ({}), page {} of the listing: {}", table.airtable_name,
                               table.table_id, number, page.status().message())));
        break;
      }
      if (!page->has_value() || !pages.Push(std::move(**page))) break;
    }
    pages.Close();
  });
  struct Join {
    std::thread& t;
    BoundedQueue<Result<airtable::RecordPage>>& q;
    ~Join() {
      q.Close();
      t.join();
    }
  } join{producer, pages};

  std::optional<pg::Transaction> tx;
  if (!ctx.dry_run) {
    AIRPG_ASSIGN_OR_RETURN(pg::Transaction begun, pg::Transaction::Begin(*ctx.conn));
    tx.emplace(std::move(begun));
  }
  PageConverter converter(ctx, table);
  // A stop makes the fetcher refuse downloads (they would look like
  // rejects): nothing read after it is written, and the table rolls back.
  auto stopped = [&]() -> Status {
    if (!ctx.stop.stop_requested()) return Status::Ok();
    return CancelledError(fmt::format("stopped while loading table {}", table.table_name));
  };
  BatchWriter writer(ctx, table);
  auto count = [&] {
    summary.imported = writer.counts().imported;
    summary.rejected = writer.counts().rejected;
    summary.set_aside = writer.counts().set_aside;
  };
  for (;;) {
    AIRPG_RETURN_IF_ERROR(stopped());
    auto page = pages.Pop();
    if (!page) {
      AIRPG_RETURN_IF_ERROR(writer.Write());
      count();
      break;
    }
    if (!page->ok()) return page->status();
    ++summary.pages;
    summary.read += static_cast<int64_t>((*page)->records.size() + (*page)->malformed.size());
    for (airtable::MalformedRecord& m : (*page)->malformed) {
      writer.SetAside(m.record_id, std::move(m.raw_json), "malformed record: " + m.reason);
    }
    PageRows rows;
    for (airtable::Record& record : (*page)->records) converter.Convert(std::move(record), rows);
    AIRPG_RETURN_IF_ERROR(converter.Finish(rows));
    AIRPG_RETURN_IF_ERROR(stopped());
    summary.attachments += rows.attachment_count;
    for (RecordRows& r : rows.records) writer.Add(std::move(r));
    if (writer.pending_records() >= kRowsPerWrite) {
      AIRPG_RETURN_IF_ERROR(writer.Write());
      count();
    }
    summary.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (ctx.on_progress) ctx.on_progress(summary);
  }
  AIRPG_RETURN_IF_ERROR(stopped());
  if (tx) {
    AIRPG_RETURN_IF_ERROR(
        tx->Run("INSERT INTO airpg.run_tables (run_id, table_id, status, records_read, imported, "
                "rejected, attachments, seconds) VALUES ($1::bigint, $2, 'loaded', $3::bigint, "
                "$4::bigint, $5::bigint, $6::bigint, $7::float8) "
                "ON CONFLICT (run_id, table_id) DO UPDATE SET status = 'loaded', "
                "records_read = EXCLUDED.records_read, imported = EXCLUDED.imported, "
                "rejected = EXCLUDED.rejected, attachments = EXCLUDED.attachments, "
                "seconds = EXCLUDED.seconds",
                {std::to_string(ctx.run_id), table.table_id, std::to_string(summary.read),
                 std::to_string(summary.imported), std::to_string(summary.rejected),
                 std::to_string(summary.attachments), fmt::format("{:.3f}", summary.seconds)}));
    AIRPG_RETURN_IF_ERROR(tx->Commit());
  }
  summary.done = true;
  if (ctx.on_progress) ctx.on_progress(summary);
  return summary;
}

}  // namespace airpg::migrate
