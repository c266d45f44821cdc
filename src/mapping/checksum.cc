#include "mapping/checksum.h"

#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <new>

#include <fmt/core.h>

#include "base/hex.h"
#include "mapping/cell_value.h"
#include "mapping/relation_cells.h"

namespace airpg::mapping {
namespace {

// "<length>:<bytes>": no byte of an item can be mistaken for a boundary.
void Frame(std::string& out, std::string_view item) {
  out += std::to_string(item.size());
  out += ':';
  out += item;
}

// A list as "[" + framed items; "" for none (Airtable omits an empty list).
std::string List(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  std::string out = "[";
  for (const std::string& item : items) Frame(out, item);
  return out;
}

Result<std::string> ColumnCanonical(const airtable::Field& field, const ColumnPlan& plan,
                                    std::optional<std::string_view> cell_json) {
  AIRPG_ASSIGN_OR_RETURN(PgValue value, CellToPg(field, plan, cell_json));
  // A formula error is a value of its own, never equal to an empty cell.
  if (value.cell_error) return "!" + *value.cell_error;
  if (value.is_null) return std::string();
  // The converter's text, in the one form its spellings share (1.5 / 1.50 /
  // 1.5e0; "…:00Z" / "…:00.000Z"); jsonb is canonical already.
  auto canonical = plan.cell->canonical;
  if (value.array) {
    std::vector<std::string> items;
    for (const std::optional<std::string>& item : *value.array) {
      items.push_back(item ? "=" + canonical(*item) : std::string());
    }
    return List(items);
  }
  std::string text = canonical(value.text);
  // Airtable shows an unchecked box and an empty text as no value at all.
  if (text.empty() || (plan.cell->kind == CellKind::kBoolean && text == "false")) {
    return std::string();
  }
  return "=" + text;
}

}  // namespace

Result<std::string> CanonicalCell(const airtable::Field& field, const ColumnPlan& plan,
                                  std::optional<std::string_view> cell_json, bool unordered_links) {
  if (cell_json) {
    // CellToPg takes a number's digits from the text as given, so spaces
    // around the value (never in a record, which keeps cells minified)
    // would otherwise reach the canonical text.
    size_t first = cell_json->find_first_not_of(" \t\r\n");
    size_t last = cell_json->find_last_not_of(" \t\r\n");
    if (first != std::string_view::npos) cell_json = cell_json->substr(first, last - first + 1);
  }
  switch (plan.storage) {
    case Storage::kColumn:
    case Storage::kChoice:
    case Storage::kChoiceArray:
      return ColumnCanonical(field, plan, cell_json);
    default:
      break;
  }
  if (!cell_json) return std::string();
  auto in_field = [&](const Status& status) { return status.WithContext(field.name); };
  std::vector<std::string> items;
  switch (plan.storage) {
    case Storage::kForeignKey:
    case Storage::kJunction: {
      Result<std::vector<std::string>> ids = ParseLinkCell(*cell_json);
      if (!ids.ok()) return in_field(ids.status());
      items = std::move(*ids);
      if (unordered_links) std::sort(items.begin(), items.end());
      break;
    }
    case Storage::kUser:
    case Storage::kUserJunction: {
      Result<std::vector<Collaborator>> users = ParseCollaboratorCell(field.type, *cell_json);
      if (!users.ok()) return in_field(users.status());
      for (Collaborator& user : *users) items.push_back(std::move(user.id));
      break;
    }
    case Storage::kAttachments: {
      Result<std::vector<Attachment>> files = ParseAttachmentCell(*cell_json);
      if (!files.ok()) return in_field(files.status());
      for (const Attachment& file : *files) {
        std::string item;
        Frame(item, file.id);
        Frame(item, file.filename);
        // Rows may lack a size Airtable never sent; the reader calls that 0.
        Frame(item, std::to_string(file.size));
        Frame(item, file.type);
        items.push_back(std::move(item));
      }
      break;
    }
    default:
      break;
  }
  return List(items);
}

void RecordChecksum::Add(std::string_view field_id, std::string_view canonical) {
  if (canonical.empty()) return;
  cells_.emplace_back(field_id, canonical);
}

std::string RecordChecksum::Finish() {
  // Sorting whole pairs keeps even a repeated field id independent of order.
  std::sort(cells_.begin(), cells_.end());
  std::string framed;
  for (const auto& [field_id, canonical] : cells_) {
    Frame(framed, field_id);
    Frame(framed, canonical);
  }
  cells_.clear();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // SHA-256 over memory fails only when OpenSSL cannot allocate.
  if (EVP_Digest(framed.data(), framed.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::bad_alloc();
  }
  // By table (HexLower), not fmt: this runs twice per record of a migration.
  return HexLower(digest, length);
}

}  // namespace airpg::mapping
