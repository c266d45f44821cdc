// Regex: the engine behind REGEX_MATCH, REGEX_EXTRACT and REGEX_REPLACE.
// It is RE2 (Airtable's documented flavour), not std::regex: RE2 runs in time
// linear in the subject and never recurses, so no pattern or subject can hang
// the evaluator or overflow its stack (std::regex did both: (a+)+b against
// "aaa…a!" backtracked for ever, (a|b)*c over 200 kB recursed off the stack).
// Patterns are RE2 syntax over UTF-8 (`.` is one code point); the replacement
// of REGEX_REPLACE uses JavaScript's `$` forms (docs/formula.md).
// Thread-safe: compiled patterns are cached per thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace airpg::formula {

// OK when `pattern` compiles; kInvalidArgument with RE2's reason otherwise.
Status CheckRegex(std::string_view pattern);

// Whether `pattern` matches anywhere in `subject`.
Result<bool> RegexSearch(std::string_view subject, std::string_view pattern);

// The leftmost match of `pattern` in `subject` (the whole match, not a
// group); nullopt when there is none.
Result<std::optional<std::string>> RegexFirstMatch(std::string_view subject,
                                                   std::string_view pattern);

// Every non-overlapping match, left to right, replaced by `replacement`, in
// which `$$` is `$`, `$&` the match, `$1`…`$99` a group (empty when it did not
// take part), `` $` `` and `$'` the text before and after the match, and
// `$<name>` a named group. An empty match advances by one code point.
Result<std::string> RegexReplaceAll(std::string_view subject, std::string_view pattern,
                                    std::string_view replacement);

}  // namespace airpg::formula
