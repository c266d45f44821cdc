#include "airtable/field_type.h"

#include <gtest/gtest.h>

namespace airpg::airtable {
namespace {

TEST(AirtableFieldTypeTest, NamesRoundTrip) {
  for (std::string_view name : {"singleLineText", "multipleRecordLinks", "aiText", "manualSort",
                                "multipleLookupValues", "dateTime"}) {
    EXPECT_EQ(FieldTypeName(ParseFieldType(name)), name);
  }
}

TEST(AirtableFieldTypeTest, UnknownTypesAreCarried) {
  EXPECT_EQ(ParseFieldType("someFutureType"), FieldType::kUnknown);
  EXPECT_FALSE(IsComputed(FieldType::kUnknown));
}

TEST(AirtableFieldTypeTest, ComputedAndCreatable) {
  EXPECT_TRUE(IsComputed(FieldType::kFormula));
  EXPECT_TRUE(IsComputed(FieldType::kAutoNumber));
  EXPECT_TRUE(IsComputed(FieldType::kLastModifiedBy));
  EXPECT_FALSE(IsComputed(FieldType::kCheckbox));
  EXPECT_TRUE(IsCreatable(FieldType::kBarcode));
  EXPECT_FALSE(IsCreatable(FieldType::kRollup));
}

}  // namespace
}  // namespace airpg::airtable
