// Tests for the memcached reply encoder (memcache_encoder.h). Expected bytes are what
// memcached 1.6.18 sent on loopback for the same replies.
#include <doctest/doctest.h>

#include <string>

#include "protocol/memcache_encoder.h"

using namespace tessera::protocol;

TEST_CASE("memcache text replies") {
  std::string out;
  append_memcache_value(out, "a", 0, "z");
  append_memcache_status(out, MemcacheStatus::kEnd);
  CHECK(out == "VALUE a 0 1\r\nz\r\nEND\r\n");
  out.clear();
  append_memcache_value_cas(out, "a", 4294967295U, "pzq", 27);
  append_memcache_status(out, MemcacheStatus::kEnd);
  CHECK(out == "VALUE a 4294967295 3 27\r\npzq\r\nEND\r\n");
  out.clear();
  append_memcache_value(out, "e", 1, "");
  CHECK(out == "VALUE e 1 0\r\n\r\n");
  out.clear();
  for (auto s : {MemcacheStatus::kStored, MemcacheStatus::kNotStored, MemcacheStatus::kExists,
                 MemcacheStatus::kNotFound, MemcacheStatus::kDeleted, MemcacheStatus::kTouched,
                 MemcacheStatus::kOk, MemcacheStatus::kEnd, MemcacheStatus::kError}) {
    append_memcache_status(out, s);
  }
  CHECK(out == "STORED\r\nNOT_STORED\r\nEXISTS\r\nNOT_FOUND\r\nDELETED\r\nTOUCHED\r\nOK\r\nEND\r\n"
               "ERROR\r\n");
  out.clear();
  append_memcache_number(out, 18446744073709551615ULL);
  append_memcache_number(out, 0);
  CHECK(out == "18446744073709551615\r\n0\r\n");
  out.clear();
  append_memcache_error(out, "CLIENT_ERROR bad data chunk");
  append_memcache_version(out, "1.6.18");
  append_memcache_stat(out, "pid", 21238);
  append_memcache_stat(out, "version", "1.6.18");
  append_memcache_status(out, MemcacheStatus::kEnd);
  CHECK(out == "CLIENT_ERROR bad data chunk\r\nVERSION 1.6.18\r\nSTAT pid 21238\r\n"
               "STAT version 1.6.18\r\nEND\r\n");
}

TEST_CASE("memcache meta replies") {
  std::string out;
  begin_meta_value(out, 1);
  append_meta_flag(out, 'f', uint64_t{0});
  append_meta_flag_signed(out, 't', -1);
  append_meta_flag(out, 'c', uint64_t{33});
  append_meta_flag(out, 's', uint64_t{1});
  append_meta_key(out, "a", false);
  append_meta_flag(out, 'O', std::string_view("99"));
  end_meta_value(out, "z");
  CHECK(out == "VA 1 f0 t-1 c33 s1 ka O99\r\nz\r\n");
  out.clear();
  begin_meta(out, MetaCode::kHd);
  append_meta_flag(out, 'c', uint64_t{35});
  append_meta_key(out, "a", false);
  append_meta_flag(out, 'O', std::string_view("5"));
  end_meta(out);
  CHECK(out == "HD c35 ka O5\r\n");
  out.clear();
  begin_meta(out, MetaCode::kHd);
  append_meta_flag(out, 'O', std::string_view(""));
  end_meta(out);
  CHECK(out == "HD O\r\n");
  out.clear();
  for (auto c : {MetaCode::kEn, MetaCode::kNf, MetaCode::kNs, MetaCode::kEx, MetaCode::kMn}) {
    begin_meta(out, c);
    end_meta(out);
  }
  CHECK(out == "EN\r\nNF\r\nNS\r\nEX\r\nMN\r\n");
  out.clear();
  begin_meta_value(out, 1);
  append_meta_key(out, "a", true);
  end_meta_value(out, "z");
  CHECK(out == "VA 1 kYQ== b\r\nz\r\n");
}

TEST_CASE("memcache meta quiet mode drops") {
  CHECK(meta_quiet_drops(MemcacheCommand::kMetaGet, MetaCode::kEn));
  CHECK_FALSE(meta_quiet_drops(MemcacheCommand::kMetaGet, MetaCode::kVa));
  CHECK(meta_quiet_drops(MemcacheCommand::kMetaSet, MetaCode::kHd));
  CHECK_FALSE(meta_quiet_drops(MemcacheCommand::kMetaSet, MetaCode::kNs));
  CHECK(meta_quiet_drops(MemcacheCommand::kMetaDelete, MetaCode::kHd));
  CHECK_FALSE(meta_quiet_drops(MemcacheCommand::kMetaDelete, MetaCode::kNf));
  CHECK(meta_quiet_drops(MemcacheCommand::kMetaArithmetic, MetaCode::kHd));
  CHECK(meta_quiet_drops(MemcacheCommand::kMetaArithmetic, MetaCode::kVa));
  CHECK_FALSE(meta_quiet_drops(MemcacheCommand::kMetaArithmetic, MetaCode::kNf));
  CHECK_FALSE(meta_quiet_drops(MemcacheCommand::kMetaNoop, MetaCode::kMn));
}

TEST_CASE("base64 encoding") {
  std::string out;
  append_base64(out, "");
  CHECK(out.empty());
  append_base64(out, "a");
  out += "|";
  append_base64(out, "ab");
  out += "|";
  append_base64(out, "abc");
  out += "|";
  append_base64(out, std::string("\x00\x01\x02\xff", 4));
  CHECK(out == "YQ==|YWI=|YWJj|AAEC/w==");
}
