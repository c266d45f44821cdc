#include "api/attachment_cells.h"

#include <fmt/core.h>

#include <map>
#include <optional>
#include <random>
#include <set>

#include "blobs/attachment_cell_rows.h"
#include "pg/quote.h"

namespace airpg::api {
namespace {

using airtable::wire::Json;
using airtable::wire::StringAt;

Status CannotAccept(const mapping::FieldPlan& f) {
  return InvalidArgumentError(
      fmt::format("Field \"{}\" cannot accept the provided value", f.field.name));
}

// One row of the cell as it is before the write.
struct Current {
  int position = 0;
  std::string attachment_id;  // Airtable's; "" while not sent
  std::string reserved_id;    // serve's; "" for others
};

}  // namespace

std::string NewAirtableId(const std::string& prefix) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<int> pick(0, 61);
  std::string id = prefix;
  for (int i = 0; i < 14; ++i) id += kAlphabet[pick(random)];
  return id;
}

Result<std::vector<AttachmentItem>> ParseAttachmentItems(const mapping::FieldPlan& f,
                                                         const Json* value) {
  std::vector<AttachmentItem> items;
  if (value == nullptr || value->is_null()) return items;
  if (!value->is_array()) return CannotAccept(f);
  for (const Json& item : *value) {
    if (!item.is_object()) return CannotAccept(f);
    AttachmentItem out;
    // As Airtable: an object with a url is a new file, whatever else it has.
    if (item.contains("url")) {
      out.url = StringAt(item, "url");
      if (!out.url.starts_with("http://") && !out.url.starts_with("https://")) {
        return CannotAccept(f);
      }
      out.filename = StringAt(item, "filename");
      if (out.filename.empty()) {
        std::string path = out.url.substr(0, out.url.find_first_of("?#"));
        out.filename = path.substr(path.rfind('/') + 1);
      }
    } else {
      out.id = StringAt(item, "id");
      if (out.id.empty()) return CannotAccept(f);
    }
    items.push_back(std::move(out));
  }
  return items;
}

Status WriteAttachmentCell(pg::Transaction& tx, const ApiBase& base,
                           const mapping::TablePlan& table, const mapping::FieldPlan& f,
                           const std::string& record_id, const std::vector<AttachmentItem>& items) {
  const std::vector<pg::Param> cell = {base.schema, record_id, f.field.id};
  // Serialises writes to one cell (as airpg.add_attachment does).
  AIRPG_RETURN_IF_ERROR(
      tx.Run("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2 || '/' || $3))", cell));
  AIRPG_ASSIGN_OR_RETURN(
      pg::Rows rows,
      tx.Exec("SELECT position, coalesce(attachment_id, ''), coalesce(reserved_id, '') "
              "FROM airpg.attachments WHERE schema_name = $1 AND record_id = $2 "
              "AND field_id = $3 ORDER BY position",
              cell));
  std::vector<Current> current;
  for (int i = 0; i < rows.size(); ++i) {
    current.push_back({std::stoi(std::string(rows.Get(i, 0))), std::string(rows.Get(i, 1)),
                       std::string(rows.Get(i, 2))});
  }
  // A reserved id whose row the sync's echo replaced names Airtable's now.
  std::vector<pg::Param> named;
  for (const AttachmentItem& item : items) {
    if (item.url.empty()) named.push_back(item.id);
  }
  std::map<std::string, std::string> airtable_id_of;
  if (!named.empty()) {
    AIRPG_ASSIGN_OR_RETURN(pg::Rows keys,
                           tx.Exec("SELECT reserved_id, attachment_id FROM airpg.attachment_keys "
                                   "WHERE schema_name = $1 AND reserved_id = ANY($2::text[])",
                                   {base.schema, pg::ArrayLiteral(named)}));
    for (int i = 0; i < keys.size(); ++i) {
      airtable_id_of[std::string(keys.Get(i, 0))] = std::string(keys.Get(i, 1));
    }
  }
  auto matches = [&](const Current& row, const std::string& id) {
    auto mapped = airtable_id_of.find(id);
    return id == row.attachment_id || id == row.reserved_id ||
           (mapped != airtable_id_of.end() && mapped->second == row.attachment_id);
  };
  // The new cell: each item is a kept row (its index in `current`) or a new file.
  std::vector<std::optional<int>> kept_at;
  std::vector<const AttachmentItem*> added;  // beside kept_at: the new file, if not kept
  std::set<int> kept;
  for (const AttachmentItem& item : items) {
    if (!item.url.empty()) {
      kept_at.push_back(std::nullopt);
      added.push_back(&item);
      continue;
    }
    std::optional<int> found;
    for (size_t i = 0; i < current.size() && !found; ++i) {
      if (matches(current[i], item.id)) found = static_cast<int>(i);
    }
    if (!found) return CannotAccept(f);
    if (!kept.insert(*found).second) continue;  // named twice: kept once
    kept_at.push_back(found);
    added.push_back(nullptr);
  }
  bool unchanged = kept_at.size() == current.size();
  for (size_t i = 0; unchanged && i < kept_at.size(); ++i) {
    unchanged = kept_at[i] == static_cast<int>(i);
  }
  if (unchanged) return Status::Ok();

  const blobs::CellKey key{base.schema, record_id, f.field.id};
  std::vector<int> removed;
  for (size_t i = 0; i < current.size(); ++i) {
    if (!kept.count(static_cast<int>(i))) removed.push_back(current[i].position);
  }
  AIRPG_RETURN_IF_ERROR(blobs::DeleteAttachmentsAt(tx.connection(), key, removed));
  std::vector<std::pair<int, int>> moves;
  for (size_t i = 0; i < kept_at.size(); ++i) {
    if (!kept_at[i]) continue;
    int old_position = current[static_cast<size_t>(*kept_at[i])].position;
    if (old_position != static_cast<int>(i)) moves.emplace_back(old_position, static_cast<int>(i));
  }
  AIRPG_RETURN_IF_ERROR(blobs::MoveAttachments(tx.connection(), key, moves));
  for (size_t i = 0; i < kept_at.size(); ++i) {
    if (kept_at[i]) continue;
    const AttachmentItem& item = *added[i];
    AIRPG_RETURN_IF_ERROR(blobs::AddUrlAttachment(tx.connection(), key, table.table_id,
                                                  static_cast<int>(i), item.filename, item.url,
                                                  NewAirtableId("att")));
  }
  return Status::Ok();
}

}  // namespace airpg::api
