// key_table_memory: inserts 1M keys "key:%08d" with 16-byte values into one KeyTable and
// prints bytes/key as the table reports it (memory_bytes()) and as the process sees it
// (RSS growth from /proc/self/statm). Usage: key_table_memory [keys]
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/key_table.h"

namespace {

constexpr size_t kDefaultKeys = 1'000'000;
constexpr size_t kValueBytes = 16;
constexpr size_t kKeyBufBytes = 32;

size_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) {
    return 0;
  }
  unsigned long total_pages = 0;
  unsigned long resident_pages = 0;
  int n = std::fscanf(f, "%lu %lu", &total_pages, &resident_pages);
  std::fclose(f);
  return n == 2 ? resident_pages * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t keys = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : kDefaultKeys;
  std::string value(kValueBytes, 'v');
  char key[kKeyBufBytes];

  size_t rss_before = rss_bytes();
  {
    tessera::core::KeyTable table;
    for (size_t i = 0; i < keys; ++i) {
      int len = std::snprintf(key, sizeof(key), "key:%08zu", i);
      std::string_view k(key, static_cast<size_t>(len));
      table.set(k, tessera::core::hash_key(k), value, tessera::core::kNoExpiry);
    }
    size_t rss_after = rss_bytes();
    double n = static_cast<double>(keys);
    std::printf("keys=%zu value_bytes=%zu\n", table.size(), kValueBytes);
    std::printf("memory_bytes()/key = %.2f\n", static_cast<double>(table.memory_bytes()) / n);
    std::printf("rss_growth/key     = %.2f\n", static_cast<double>(rss_after - rss_before) / n);
  }
  return 0;
}
