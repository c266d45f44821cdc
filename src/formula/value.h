// Value: a formula value at run time — blank, number, text, boolean, date,
// array or error — and the coercions every operator and function shares
// (to text, to number, truthiness). Used by the evaluator and its functions.
// Thread-compatible: a Value is a plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace airpg::formula {

enum class ValueKind { kBlank, kNumber, kText, kBool, kDate, kArray, kError };

struct Value {
  ValueKind kind = ValueKind::kBlank;
  double number = 0;         // kNumber (NaN and ±Infinity allowed)
  bool boolean = false;      // kBool
  int64_t millis = 0;        // kDate: milliseconds since 1970-01-01T00:00:00Z
  std::string text;          // kText; kError: the error text ("#ERROR!")
  std::string zone;          // kDate: display zone set by SET_TIMEZONE ("" = UTC)
  std::string locale;        // kDate: locale set by SET_LOCALE ("" = en)
  std::vector<Value> items;  // kArray

  static Value Blank() { return Value(); }
  static Value Number(double n);
  static Value Text(std::string s);
  static Value Bool(bool b);
  static Value Date(int64_t millis);
  static Value Array(std::vector<Value> items);
  static Value Error(std::string text = "#ERROR!");

  bool is_blank() const { return kind == ValueKind::kBlank; }
  bool is_error() const { return kind == ValueKind::kError; }
};

// JavaScript's Number → string: shortest round-trip digits, exponent form
// below 1e-6 and from 1e21, "NaN", "Infinity", "-Infinity".
std::string FormatNumber(double n);

// "2024-01-02T03:04:05.000Z".
std::string FormatIsoUtc(int64_t millis);

// Text form: blank → "", booleans "true"/"false", dates ISO UTC, arrays
// joined with ", " (nested arrays flattened), errors their text.
std::string ToText(const Value& v);

// Number form: blank → 0, booleans 1/0, text parsed strictly (surrounding
// spaces allowed, "" → 0, anything else not a decimal number → NaN), dates
// their epoch milliseconds, arrays of one item that item, else NaN.
double ToNumber(const Value& v);

// Strict decimal text → number; false when `text` is not one.
bool ParseDecimal(std::string_view text, double& out);

// Falsy: blank, 0, NaN, false, "", [] and errors; everything else truthy.
bool Truthy(const Value& v);

// A readable rendering for tests and the CLI: numbers bare, text JSON-quoted,
// dates ISO, arrays [a, b], blank `BLANK`, errors their text.
std::string DebugString(const Value& v);

}  // namespace airpg::formula
