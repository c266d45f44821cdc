// ComputedLink: the rows a lookup, rollup or count reads — the linked
// records of one record, through the link field's FK column or ordered
// junction, in the order Airtable shows them, tombstoned rows left out —
// as the FROM/WHERE of a correlated subquery (computed_view.h). Pure.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mapping/schema_plan.h"

namespace airpg::mapping {

struct LinkedRows {
  std::string from_where;  // "FROM … WHERE …", correlated to the outer row
  std::string order_by;    // the link's order
  // What an aggregate over the rows that cares for order appends to its
  // arguments: " ORDER BY <order_by>", or "" when the rows come sorted
  // already (a LATERAL group of the view's own row, computed_view.cc).
  std::string agg_order;
  const TablePlan* linked = nullptr;
  const FieldPlan* source = nullptr;  // fieldIdInLinkedTable; nullptr for a count
  std::string alias;                  // the linked row's alias in from_where
  // What a cache of aggregates over these rows (computed_cache.h) watches.
  // `many`: the link reaches any number of rows (an inverse FK or an ordered
  // junction), the links worth a cache; a record's own FK reads one row.
  bool many = false;
  std::string child_relation;  // inverse FK: the linked table; junction: the junction
  std::string child_column;    // its column holding the outer row's id
  // Junction only: the linked table, whose values the aggregates read, and
  // the junction's column holding a linked row's id.
  std::string linked_relation;
  std::string junction_linked_column;
};

class LinkSql {
 public:
  LinkSql(const SchemaPlan& plan, std::string_view schema) : plan_(plan), schema_(schema) {}

  // The rows the lookup, rollup or count `f` of table `t` reads for the row
  // aliased `outer`; `depth` keeps nested aliases apart.
  Result<LinkedRows> Rows(const TablePlan& t, const FieldPlan& f, const std::string& outer,
                          int depth) const;

 private:
  const SchemaPlan& plan_;
  std::string schema_;
};

}  // namespace airpg::mapping
