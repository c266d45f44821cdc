#include "sync/conflict_rules.h"

#include <fmt/core.h>

#include <cstdio>
#include <ctime>

namespace airpg::sync {

Result<Authority> ParseAuthority(std::string_view text) {
  if (text == "airtable") return Authority::kAirtable;
  if (text == "postgres") return Authority::kPostgres;
  if (text == "both") return Authority::kBoth;
  return InvalidArgumentError(
      fmt::format("authority '{}' is not one of airtable, postgres, both", text));
}

Result<ConflictRule> ParseConflictRule(std::string_view text) {
  if (text == "airtable_wins") return ConflictRule::kAirtableWins;
  if (text == "postgres_wins") return ConflictRule::kPostgresWins;
  if (text == "latest") return ConflictRule::kLatest;
  if (text == "manual") return ConflictRule::kManual;
  return InvalidArgumentError(fmt::format(
      "conflict rule '{}' is not one of airtable_wins, postgres_wins, latest, manual", text));
}

std::string_view AuthorityName(Authority authority) {
  switch (authority) {
    case Authority::kAirtable:
      return "airtable";
    case Authority::kPostgres:
      return "postgres";
    case Authority::kBoth:
      return "both";
  }
  return "airtable";
}

std::string_view ConflictRuleName(ConflictRule rule) {
  switch (rule) {
    case ConflictRule::kAirtableWins:
      return "airtable_wins";
    case ConflictRule::kPostgresWins:
      return "postgres_wins";
    case ConflictRule::kLatest:
      return "latest";
    case ConflictRule::kManual:
      return "manual";
  }
  return "latest";
}

SyncTime ParseSyncTime(std::string_view text) {
  std::tm tm{};
  double seconds = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &seconds) != 6) {
    return SyncTime{};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = 0;
  auto whole = std::chrono::system_clock::from_time_t(timegm(&tm));
  return whole + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                     std::chrono::duration<double>(seconds));
}

FieldDecision DecideField(const FieldVersions& field, const FieldPolicy& policy) {
  if (field.airtable == field.postgres) return {FieldAction::kNone, false};
  // Without a base (never synced) both sides count as changed: neither can
  // be taken for the older one.
  const bool airtable_changed = !field.base || *field.base != field.airtable;
  const bool postgres_changed = !field.base || *field.base != field.postgres;
  switch (policy.authority) {
    case Authority::kAirtable:
      return {FieldAction::kToPostgres, postgres_changed};
    case Authority::kPostgres:
      if (!airtable_changed) return {FieldAction::kToAirtable, false};
      return {policy.rule == ConflictRule::kManual ? FieldAction::kPark : FieldAction::kToAirtable,
              true};
    case Authority::kBoth:
      break;
  }
  if (!postgres_changed) return {FieldAction::kToPostgres, false};
  if (!airtable_changed) return {FieldAction::kToAirtable, false};
  switch (policy.rule) {
    case ConflictRule::kAirtableWins:
      return {FieldAction::kToPostgres, true};
    case ConflictRule::kPostgresWins:
      return {FieldAction::kToAirtable, true};
    case ConflictRule::kLatest:
      return {field.postgres_committed > field.airtable_modified ? FieldAction::kToAirtable
                                                                 : FieldAction::kToPostgres,
              true};
    case ConflictRule::kManual:
      return {FieldAction::kPark, true};
  }
  return {FieldAction::kPark, true};
}

}  // namespace airpg::sync
