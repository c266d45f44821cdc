#include "emulator/model.h"

namespace airpg::emulator {

const Field* Table::FindField(std::string_view id_or_name) const {
  for (const Field& f : fields) {
    if (f.id == id_or_name) return &f;
  }
  for (const Field& f : fields) {
    if (f.name == id_or_name) return &f;
  }
  return nullptr;
}

Field* Table::FindField(std::string_view id_or_name) {
  return const_cast<Field*>(static_cast<const Table*>(this)->FindField(id_or_name));
}

const View* Table::FindView(std::string_view id_or_name) const {
  for (const View& v : views) {
    if (v.id == id_or_name) return &v;
  }
  for (const View& v : views) {
    if (v.name == id_or_name) return &v;
  }
  return nullptr;
}

const Record* Table::FindRecord(std::string_view record_id) const {
  auto it = record_index_.find(std::string(record_id));
  return it == record_index_.end() ? nullptr : &records[it->second];
}

Record* Table::FindRecord(std::string_view record_id) {
  return const_cast<Record*>(static_cast<const Table*>(this)->FindRecord(record_id));
}

Record& Table::AddRecord(Record record) {
  record_index_[record.id] = records.size();
  records.push_back(std::move(record));
  return records.back();
}

bool Table::RemoveRecord(std::string_view record_id) {
  auto it = record_index_.find(std::string(record_id));
  if (it == record_index_.end()) return false;
  records.erase(records.begin() + static_cast<std::ptrdiff_t>(it->second));
  RebuildIndex();
  return true;
}

void Table::RebuildIndex() {
  record_index_.clear();
  for (size_t i = 0; i < records.size(); ++i) record_index_[records[i].id] = i;
}

Table* Base::FindTable(std::string_view id_or_name) {
  for (Table& t : tables) {
    if (t.id == id_or_name) return &t;
  }
  for (Table& t : tables) {
    if (t.name == id_or_name) return &t;
  }
  return nullptr;
}

const Collaborator* Base::FindCollaborator(std::string_view id_or_email) const {
  for (const Collaborator& c : collaborators) {
    if (c.id == id_or_email || c.email == id_or_email) return &c;
  }
  return nullptr;
}

Base* Model::FindBase(std::string_view base_id) {
  for (Base& b : bases) {
    if (b.id == base_id) return &b;
  }
  return nullptr;
}

}  // namespace airpg::emulator
