#include "sync/outbox_typecast.h"

#include <gtest/gtest.h>

namespace airpg::sync {
namespace {

mapping::FieldPlan Select(airtable::FieldType type) {
  mapping::FieldPlan f;
  f.field.id = "fldTier";
  f.field.type = type;
  f.field.options_json = R"({"choices":[{"id":"selGold","name":"Gold"},{"name":"Silver"}]})";
  return f;
}

TEST(OutboxTypecast, OnlyASelectValueAirtableDoesNotListNeedsIt) {
  mapping::FieldPlan single = Select(airtable::FieldType::kSingleSelect);
  EXPECT_FALSE(NeedsTypecast(single, R"("Gold")"));
  EXPECT_TRUE(NeedsTypecast(single, R"("Platinum")"));
  EXPECT_FALSE(NeedsTypecast(single, "null"));
  mapping::FieldPlan multiple = Select(airtable::FieldType::kMultipleSelects);
  EXPECT_FALSE(NeedsTypecast(multiple, R"(["Gold","Silver"])"));
  EXPECT_TRUE(NeedsTypecast(multiple, R"(["Gold","Bronze"])"));
  EXPECT_FALSE(NeedsTypecast(multiple, "[]"));
  mapping::FieldPlan text = Select(airtable::FieldType::kSingleLineText);
  EXPECT_FALSE(NeedsTypecast(text, R"("Platinum")"));
  single.field.options_json = "";
  EXPECT_TRUE(NeedsTypecast(single, R"("Gold")"));
}

}  // namespace
}  // namespace airpg::sync
