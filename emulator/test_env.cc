#include "emulator/test_env.h"

#include <gtest/gtest.h>

namespace airpg::emulator {

std::string TestData() {
  nlohmann::json data = R"({
  "user": {"id": "usrTestUser000001", "email": "ada@example.com", "name": "Ada"},
  "bases": [{
    "id": "appTestBase000001", "name": "Test Base",
    "collaborators": [{"id": "usrTestUser000001", "email": "ada@example.com", "name": "Ada"}],
    "tables": [
      {"id": "tblClients0000001", "name": "Clients", "description": "People we serve",
       "fields": [
         {"id": "fldName0000000001", "name": "Name", "type": "singleLineText"},
         {"id": "fldAge00000000001", "name": "Age", "type": "number", "options": {"precision": 0}},
         {"id": "fldActive00000001", "name": "Active", "type": "checkbox",
          "options": {"icon": "check", "color": "greenBright"}},
         {"id": "fldStatus00000001", "name": "Status", "type": "singleSelect",
          "options": {"choices": [{"id": "selNew0000000001", "name": "New", "color": "blueLight2"},
                                  {"id": "selDone000000001", "name": "Done", "color": "greenLight2"}]}},
         {"id": "fldTags0000000001", "name": "Tags", "type": "multipleSelects",
          "options": {"choices": [{"id": "selVip0000000001", "name": "vip", "color": "redLight2"}]}},
         {"id": "fldSince000000001", "name": "Since", "type": "date",
          "options": {"dateFormat": {"name": "iso", "format": "YYYY-MM-DD"}}},
         {"id": "fldRegs0000000001", "name": "Registrations", "type": "multipleRecordLinks",
          "options": {"linkedTableId": "tblRegistrations1", "isReversed": false,
                      "prefersSingleRecordLink": false, "inverseLinkFieldId": "fldClient00000001"}},
         {"id": "fldOwner000000001", "name": "Owner", "type": "singleCollaborator"},
         {"id": "fldFiles000000001", "name": "Files", "type": "multipleAttachments",
          "options": {"isReversed": false}},
         {"id": "fldNumber00000001", "name": "Number", "type": "autoNumber"},
         {"id": "fldCreated0000001", "name": "Created", "type": "createdTime",
          "options": {"result": {"type": "dateTime", "options": {"timeZone": "utc",
            "dateFormat": {"name": "iso", "format": "YYYY-MM-DD"},
            "timeFormat": {"name": "24hour", "format": "HH:mm"}}}}},
         {"id": "fldScore000000001", "name": "Score", "type": "formula",
          "options": {"formula": "{fldAge00000000001} * 2", "isValid": true,
                      "referencedFieldIds": ["fldAge00000000001"],
                      "result": {"type": "number", "options": {"precision": 0}}}}
       ],
       "views": [
         {"id": "viwAll00000000001", "name": "Grid view", "type": "grid"},
         {"id": "viwActive00000001", "name": "Active by age", "type": "grid",
          "filterByFormula": "{Active}", "sort": [{"field": "Age", "direction": "desc"}]},
         {"id": "viwGallery0000001", "name": "Gallery", "type": "gallery"}
       ],
       "records": [
         {"id": "recAda00000000001", "createdTime": "2024-01-01T00:00:00.000Z",
          "fields": {"Name": "Ada", "Age": 36, "Active": true, "Status": "New", "Tags": ["vip"],
                     "Since": "2020-05-01", "Registrations": ["recRegA000000001"], "Score": 72}},
         {"id": "recBob00000000001", "createdTime": "2024-01-02T00:00:00.000Z",
          "fields": {"Name": "bob", "Age": 25, "Status": "Done", "Score": 50}},
         {"id": "recCyd00000000001", "createdTime": "2024-01-03T00:00:00.000Z",
          "fields": {"Name": "Cyd", "Age": 41, "Active": true}},
         {"id": "recDee00000000001", "createdTime": "2024-01-04T00:00:00.000Z",
          "fields": {"Name": "Dee", "Active": false, "Notes": ""}},
         {"id": "recEve00000000001", "createdTime": "2024-01-05T00:00:00.000Z",
          "fields": {"Name": "Eve", "Age": 30}}
       ]},
      {"id": "tblRegistrations1", "name": "Registrations",
       "fields": [
         {"id": "fldTitle000000001", "name": "Title", "type": "singleLineText"},
         {"id": "fldClient00000001", "name": "Client", "type": "multipleRecordLinks",
          "options": {"linkedTableId": "tblClients0000001", "isReversed": false,
                      "prefersSingleRecordLink": true, "inverseLinkFieldId": "fldRegs0000000001"}},
         {"id": "fldClientName0001", "name": "Client Name", "type": "multipleLookupValues",
          "options": {"isValid": true, "recordLinkFieldId": "fldClient00000001",
                      "fieldIdInLinkedTable": "fldName0000000001",
                      "result": {"type": "singleLineText"}}},
         {"id": "fldClientCount001", "name": "Client Count", "type": "count",
          "options": {"isValid": true, "recordLinkFieldId": "fldClient00000001"}},
         {"id": "fldMadeBy00000001", "name": "Made By", "type": "createdBy"}
       ],
       "records": [
         {"id": "recRegA000000001", "createdTime": "2024-02-01T00:00:00.000Z",
          "fields": {"Title": "Reg A", "Client": ["recAda00000000001"]}}
       ]}
    ]}]})"_json;
  // "Notes" is not a field: drop it so the data stays valid.
  data["bases"][0]["tables"][0]["records"][3]["fields"].erase("Notes");
  return data.dump();
}

EmulatorOptions TestEmulator::DefaultOptions() {
  EmulatorOptions options;
  options.data_json = TestData();
  options.rate_limits = false;
  options.threads = 4;
  options.frozen_clock_millis = 1735689600000;  // 2025-01-01T00:00:00.000Z
  return options;
}

TestEmulator::TestEmulator(EmulatorOptions options) : client_(std::make_unique<http::Client>()) {
  auto started = Emulator::Start(options);
  if (!started.ok()) {
    ADD_FAILURE() << started.status().ToString();
    return;
  }
  emulator_ = std::move(started.value());
}

TestEmulator::~TestEmulator() {
  client_.reset();  // close the keep-alive connection first so Stop() is quick
  emulator_.reset();
}

Reply TestEmulator::Send(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& token) {
  Reply reply;
  if (!emulator_) return reply;
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
  if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
  auto response = client_->Send(method, emulator_->url() + path, headers, body);
  if (!response.ok()) {
    ADD_FAILURE() << response.status().ToString();
    return reply;
  }
  reply.status = response->status;
  reply.headers = response->headers;
  reply.body = nlohmann::json::parse(response->body, nullptr, false);
  EXPECT_FALSE(reply.body.is_discarded()) << "not JSON: " << response->body;
  EXPECT_TRUE(reply.body.is_object()) << "not a JSON object: " << response->body;
  return reply;
}

}  // namespace airpg::emulator
