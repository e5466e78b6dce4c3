// TableRegistry: one data worker's partitions of the typed columnar tables (TABLE.*), by
// table name. Every worker holds the same set of table names (TABLE.CREATE and TABLE.DROP
// run on all shards); each partition holds only the rows whose keys hash to that worker.
// Tables are server-wide: they do not belong to a SELECT database.
//
// Owner: exactly one data worker thread (it lives in engine::Shard). Not thread-safe.
//
// Invariants: a Table's schema is heap-allocated and outlives its partition (ColumnTable
// keeps a reference to it); names are unique.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/column_schema.h"
#include "core/column_table.h"

namespace tessera::engine {

struct Table {
  explicit Table(core::Schema s) : schema(std::make_unique<core::Schema>(std::move(s))), rows(*schema) {}
  std::unique_ptr<core::Schema> schema;  // declared first: constructed before `rows`
  core::ColumnTable rows;
};

class TableRegistry {
 public:
  TableRegistry() = default;
  TableRegistry(const TableRegistry&) = delete;
  TableRegistry& operator=(const TableRegistry&) = delete;

  // Null if there is no table called `name`.
  Table* find(std::string_view name);
  // False (and no change) if the name is taken.
  bool create(std::string_view name, core::Schema schema);
  // False if there was no such table.
  bool drop(std::string_view name);
  // Names in lexicographic order.
  template <class Fn>
  void for_each(Fn&& fn) {
    for (auto& [name, table] : tables_) {
      fn(std::string_view(name), *table);
    }
  }
  size_t size() const { return tables_.size(); }

 private:
  std::map<std::string, std::unique_ptr<Table>, std::less<>> tables_;
};

}  // namespace tessera::engine
