// Micro benchmarks of the RESP protocol layer: parsing pipelined requests (RespParser) and
// encoding replies from the model (encode_resp). Items are commands or replies, so
// Google Benchmark's items_per_second gives the per-command / per-reply cost.
//
// Run: bench_resp --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocol/reply.h"
#include "protocol/resp_encoder.h"
#include "protocol/resp_parser.h"

namespace {

using tessera::protocol::encode_resp;
using tessera::protocol::ParseResult;
using tessera::protocol::ParseStatus;
using tessera::protocol::ReplyBuffer;
using tessera::protocol::ReplyWriter;
using tessera::protocol::RespParser;
using tessera::protocol::RespVersion;

constexpr int kPipelineDepth = 16;
constexpr std::string_view kValue16 = "0123456789abcdef";

std::string multibulk(const std::vector<std::string>& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  return s;
}

std::string key(int i) {
  std::string digits = std::to_string(i);
  return "key:" + std::string(6 - digits.size(), '0') + digits;
}

// Parses every command of `pipeline` once per iteration, as a parser thread does per read.
void run_parse(benchmark::State& state, const std::string& pipeline) {
  RespParser parser;
  std::vector<std::string_view> args;
  args.reserve(8);
  for (auto _ : state) {
    std::string_view rest = pipeline;
    int commands = 0;
    while (!rest.empty()) {
      ParseResult r = parser.parse(rest, args);
      if (r.status != ParseStatus::kOk) {
        state.SkipWithError("parse failed");
        return;
      }
      benchmark::DoNotOptimize(args.data());
      rest.remove_prefix(r.consumed);
      ++commands;
    }
    benchmark::DoNotOptimize(commands);
  }
  state.SetItemsProcessed(state.iterations() * kPipelineDepth);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(pipeline.size()));
}

void BM_ParseSetPipeline16(benchmark::State& state) {
  std::string pipeline;
  for (int i = 0; i < kPipelineDepth; ++i) {
    pipeline += multibulk({"SET", key(i + 1), std::string(kValue16)});
  }
  run_parse(state, pipeline);
}
BENCHMARK(BM_ParseSetPipeline16);

void BM_ParseGetPipeline16(benchmark::State& state) {
  std::string pipeline;
  for (int i = 0; i < kPipelineDepth; ++i) {
    pipeline += multibulk({"GET", key(i + 1)});
  }
  run_parse(state, pipeline);
}
BENCHMARK(BM_ParseGetPipeline16);

void BM_ParseInlineGetPipeline16(benchmark::State& state) {
  std::string pipeline;
  for (int i = 0; i < kPipelineDepth; ++i) {
    pipeline += "GET " + key(i + 1) + "\r\n";
  }
  run_parse(state, pipeline);
}
BENCHMARK(BM_ParseInlineGetPipeline16);

// Encodes a model holding kPipelineDepth replies once per iteration into a reused buffer.
void run_encode(benchmark::State& state, const ReplyBuffer& model, RespVersion version) {
  std::string out;
  out.reserve(4096);
  for (auto _ : state) {
    out.clear();
    encode_resp(model.view(), version, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * kPipelineDepth);
}

void BM_EncodeBulk16(benchmark::State& state) {
  ReplyBuffer model;
  ReplyWriter w(model);
  for (int i = 0; i < kPipelineDepth; ++i) {
    w.bulk(kValue16);
  }
  run_encode(state, model, RespVersion::kResp2);
}
BENCHMARK(BM_EncodeBulk16);

void BM_EncodeOk16(benchmark::State& state) {
  ReplyBuffer model;
  ReplyWriter w(model);
  for (int i = 0; i < kPipelineDepth; ++i) {
    w.ok();
  }
  run_encode(state, model, RespVersion::kResp2);
}
BENCHMARK(BM_EncodeOk16);

void BM_EncodeInteger16(benchmark::State& state) {
  ReplyBuffer model;
  ReplyWriter w(model);
  for (int i = 0; i < kPipelineDepth; ++i) {
    w.integer(1234567 + i);
  }
  run_encode(state, model, RespVersion::kResp2);
}
BENCHMARK(BM_EncodeInteger16);

void BM_EncodeDouble16Resp3(benchmark::State& state) {
  ReplyBuffer model;
  ReplyWriter w(model);
  for (int i = 0; i < kPipelineDepth; ++i) {
    w.dbl(1.1 * (i + 1));
  }
  run_encode(state, model, RespVersion::kResp3);
}
BENCHMARK(BM_EncodeDouble16Resp3);

// 16 replies, each an array of 10 bulks (an MGET-like reply), RESP3.
void BM_EncodeArray10x16Resp3(benchmark::State& state) {
  constexpr uint32_t kElements = 10;
  ReplyBuffer model;
  ReplyWriter w(model);
  for (int i = 0; i < kPipelineDepth; ++i) {
    w.array(kElements);
    for (uint32_t e = 0; e < kElements; ++e) {
      w.bulk(kValue16);
    }
  }
  run_encode(state, model, RespVersion::kResp3);
}
BENCHMARK(BM_EncodeArray10x16Resp3);

}  // namespace

BENCHMARK_MAIN();
