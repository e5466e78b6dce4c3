// TableRegistry: see table_registry.h.
#include "engine/table_registry.h"

namespace tessera::engine {

Table* TableRegistry::find(std::string_view name) {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : it->second.get();
}

bool TableRegistry::create(std::string_view name, core::Schema schema) {
  if (tables_.find(name) != tables_.end()) {
    return false;
  }
  tables_.emplace(std::string(name), std::make_unique<Table>(std::move(schema)));
  return true;
}

bool TableRegistry::drop(std::string_view name) {
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    return false;
  }
  tables_.erase(it);
  return true;
}

}  // namespace tessera::engine
