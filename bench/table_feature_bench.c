/* Feature-serving benchmark (issue 4, "Benchmark"): Tessera typed columnar tables vs Redis,
 * one C client (hiredis), one run.
 *
 * A table of R rows x 10 float32 features, keys "e:%08d", stored three ways:
 *   - Tessera: TABLE.CREATE t COLUMNS f0 float32 .. f9 float32, ingested with pipelined
 *     TABLE.INSERT t COLUMNAR <binary batch of --ingest-batch rows> (README "Tables");
 *   - Redis "blob": SET e:%08d <40 bytes: 10 little-endian float32>, pipelined;
 *   - Redis "hash": HSET e:%08d f0 <4 bytes> .. f9 <4 bytes>, pipelined (one hash per row).
 * The blob and hash layouts go to two separate redis-server instances so that each one's
 * used_memory is measured on its own (or to one instance with FLUSHALL in between when only
 * --redis-port is given).
 *
 * Reads: B batches of K random keys (same seeded sequence for all three) x 10 columns:
 *   Tessera  TABLE.MGET t COLUMNS f0..f9 KEYS k1..kK          (COLUMNAR reply), or with
 *            --keyblob TABLE.MGET t COLUMNS f0..f9 KEYBLOB <packed keys> (the same read, the
 *            keys in one argument: README "Packed keys")
 *   blob     MGET k1..kK
 *   hash     K pipelined HMGET k f0..f9
 * Each batch is timed with the client's wall clock around: formatting the request, the round
 * trip, parsing the reply (hiredis) and decoding it into a K x 10 row-major float matrix.
 * The three systems are interleaved batch by batch (rotating which goes first), so a noisy
 * moment on a shared machine hits all three alike. Every decoded value is checked against the
 * written one (outside the timed region).
 *
 * Usage: table_feature_bench --tessera-port P --redis-port P [--redis-hash-port P]
 *          [--tessera-pid PID] [--redis-pid PID] [--redis-hash-pid PID]
 *          [--rows 1000000] [--batches 2000] [--keys 1000] [--ingest-batch 10000]
 *          [--pipeline-rows 1000] [--warmup 50] [--seed 42] [--host 127.0.0.1] [--skip-ingest]
 *          [--keyblob]
 * Pids are only used to read VmRSS from /proc/PID/status.
 * Output: a results table, and "RESULT name value" lines for scripts.
 */
#define _GNU_SOURCE
#include <hiredis.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define NCOLS 10
#define KEYLEN 10 /* "e:%08d" */

static const char* g_cols[NCOLS] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"};

static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "table_feature_bench: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- data ---------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

/* Feature j of row i: a 24-bit fraction in [-8, 8), exact in float32. */
static float value_of(uint32_t row, int col) {
  uint64_t h = mix64((uint64_t)row * NCOLS + (uint64_t)col + 1);
  return (float)(int32_t)((h >> 40) & 0xFFFFFF) / 1048576.0f - 8.0f;
}

static void key_of(uint32_t row, char out[KEYLEN]) {
  out[0] = 'e';
  out[1] = ':';
  for (int d = 9; d >= 2; --d) {
    out[d] = (char)('0' + row % 10);
    row /= 10;
  }
}

static void put_le32(unsigned char* p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static float get_f32(const char* p) { /* the wire is little-endian, as is x86 */
  float f;
  memcpy(&f, p, 4);
  return f;
}

/* ---- a growable buffer of RESP ------------------------------------------------------- */

typedef struct {
  char* p;
  size_t len, cap;
} Buf;

static void buf_reserve(Buf* b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) cap *= 2;
  b->p = (char*)realloc(b->p, cap);
  if (!b->p) die("out of memory");
  b->cap = cap;
}

static void buf_raw(Buf* b, const void* p, size_t n) {
  buf_reserve(b, n);
  memcpy(b->p + b->len, p, n);
  b->len += n;
}

static void buf_hdr(Buf* b, char kind, size_t n) {
  buf_reserve(b, 32);
  b->len += (size_t)sprintf(b->p + b->len, "%c%zu\r\n", kind, n);
}

static void buf_bulk(Buf* b, const void* p, size_t n) {
  buf_hdr(b, '$', n);
  buf_reserve(b, n + 2);
  memcpy(b->p + b->len, p, n);
  b->len += n;
  b->p[b->len++] = '\r';
  b->p[b->len++] = '\n';
}

static void buf_str(Buf* b, const char* s) { buf_bulk(b, s, strlen(s)); }

/* A 10-byte key as a bulk: "$10\r\n" + key + "\r\n", without sprintf. */
static void buf_key(Buf* b, uint32_t row) {
  buf_reserve(b, 5 + KEYLEN + 2);
  char* p = b->p + b->len;
  memcpy(p, "$10\r\n", 5);
  key_of(row, p + 5);
  p[5 + KEYLEN] = '\r';
  p[6 + KEYLEN] = '\n';
  b->len += 7 + KEYLEN;
}

/* ---- connections ----------------------------------------------------------------------- */

static redisContext* connect_to(const char* host, int port) {
  struct timeval tv = {30, 0};
  redisContext* c = redisConnectWithTimeout(host, port, tv);
  if (!c || c->err) die("connect %s:%d: %s", host, port, c ? c->errstr : "alloc");
  redisSetTimeout(c, tv);
  return c;
}

static redisReply* get_reply(redisContext* c, const char* what) {
  void* r = NULL;
  if (redisGetReply(c, &r) != REDIS_OK || !r) die("%s: connection error: %s", what, c->errstr);
  return (redisReply*)r;
}

static void append(redisContext* c, const Buf* b) {
  if (redisAppendFormattedCommand(c, b->p, b->len) != REDIS_OK) die("append: %s", c->errstr);
}

/* Reads n replies; fails on an error reply. Returns the sum of integer replies. */
static long long drain(redisContext* c, int n, const char* what) {
  long long sum = 0;
  for (int i = 0; i < n; ++i) {
    redisReply* r = get_reply(c, what);
    if (r->type == REDIS_REPLY_ERROR) die("%s: %s", what, r->str);
    if (r->type == REDIS_REPLY_INTEGER) sum += r->integer;
    freeReplyObject(r);
  }
  return sum;
}

static long long info_field(redisContext* c, const char* section, const char* field) {
  redisReply* r = (redisReply*)redisCommand(c, "INFO %s", section);
  if (!r || r->type != REDIS_REPLY_STRING) die("INFO %s failed", section);
  long long v = -1;
  size_t fl = strlen(field);
  for (const char* p = r->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, field, fl) == 0 && p[fl] == ':') {
      v = atoll(p + fl + 1);
      break;
    }
  }
  freeReplyObject(r);
  return v;
}

static long long rss_bytes(int pid) {
  if (pid <= 0) return -1;
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE* f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  long long kb = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = atoll(line + 6);
      break;
    }
  }
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

static void command_ok(redisContext* c, int allow_error, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  redisReply* r = (redisReply*)redisvCommand(c, fmt, ap);
  va_end(ap);
  if (!r) die("command '%s': %s", fmt, c->errstr);
  if (r->type == REDIS_REPLY_ERROR && !allow_error) die("command '%s': %s", fmt, r->str);
  freeReplyObject(r);
}

/* ---- ingestion -------------------------------------------------------------------------- */

/* TABLE.INSERT t COLUMNAR <blob> for rows [lo, hi): the README's binary columnar batch. */
static void format_tessera_insert(Buf* b, Buf* blob, uint32_t lo, uint32_t hi) {
  uint32_t n = hi - lo;
  size_t size = 12 + 4 * ((size_t)n + 1) + (size_t)n * KEYLEN;
  for (int j = 0; j < NCOLS; ++j) size += 4 + strlen(g_cols[j]) + 1 + 4 * (size_t)n;
  blob->len = 0;
  buf_reserve(blob, size);
  unsigned char* p = (unsigned char*)blob->p;
  memcpy(p, "TCB1", 4);
  put_le32(p + 4, n);
  put_le32(p + 8, NCOLS);
  p += 12;
  for (uint32_t i = 0; i <= n; ++i, p += 4) put_le32(p, i * KEYLEN);
  for (uint32_t i = 0; i < n; ++i, p += KEYLEN) key_of(lo + i, (char*)p);
  for (int j = 0; j < NCOLS; ++j) {
    uint32_t l = (uint32_t)strlen(g_cols[j]);
    put_le32(p, l);
    memcpy(p + 4, g_cols[j], l);
    p += 4 + l;
    *p++ = 0; /* no validity bitmap: all valid */
    for (uint32_t i = 0; i < n; ++i, p += 4) {
      float v = value_of(lo + i, j);
      memcpy(p, &v, 4);
    }
  }
  blob->len = (size_t)(p - (unsigned char*)blob->p);
  if (blob->len != size) die("batch size mismatch");
  b->len = 0;
  buf_hdr(b, '*', 4);
  buf_str(b, "TABLE.INSERT");
  buf_str(b, "t");
  buf_str(b, "COLUMNAR");
  buf_bulk(b, blob->p, blob->len);
}

static double ingest_tessera(redisContext* c, uint32_t rows, uint32_t batch_rows) {
  Buf b = {0}, blob = {0};
  const int window = 4; /* batches in flight */
  int inflight = 0;
  long long written = 0;
  double t0 = now_s();
  for (uint32_t lo = 0; lo < rows; lo += batch_rows) {
    uint32_t hi = lo + batch_rows < rows ? lo + batch_rows : rows;
    format_tessera_insert(&b, &blob, lo, hi);
    append(c, &b);
    if (++inflight == window) {
      written += drain(c, 1, "TABLE.INSERT");
      --inflight;
    }
  }
  written += drain(c, inflight, "TABLE.INSERT");
  double dt = now_s() - t0;
  if (written != (long long)rows) die("TABLE.INSERT wrote %lld rows, expected %u", written, rows);
  free(b.p);
  free(blob.p);
  return dt;
}

/* Pipelined SET (blob) or HSET (hash), chunks of `chunk` commands, two chunks in flight. */
static double ingest_redis(redisContext* c, uint32_t rows, uint32_t chunk, int hash) {
  Buf b = {0};
  int pending = 0;
  double t0 = now_s();
  for (uint32_t lo = 0; lo < rows; lo += chunk) {
    uint32_t hi = lo + chunk < rows ? lo + chunk : rows;
    b.len = 0;
    for (uint32_t i = lo; i < hi; ++i) {
      if (hash) {
        buf_raw(&b, "*22\r\n$4\r\nHSET\r\n", 15);
        buf_key(&b, i);
        for (int j = 0; j < NCOLS; ++j) {
          float v = value_of(i, j);
          buf_bulk(&b, g_cols[j], 2);
          buf_bulk(&b, &v, 4);
        }
      } else {
        float v[NCOLS];
        for (int j = 0; j < NCOLS; ++j) v[j] = value_of(i, j);
        buf_raw(&b, "*3\r\n$3\r\nSET\r\n", 13);
        buf_key(&b, i);
        buf_bulk(&b, v, sizeof v);
      }
    }
    append(c, &b);
    drain(c, pending, hash ? "HSET" : "SET");
    pending = (int)(hi - lo);
  }
  drain(c, pending, hash ? "HSET" : "SET");
  double dt = now_s() - t0;
  free(b.p);
  return dt;
}

/* ---- reads ------------------------------------------------------------------------------- */

enum { SYS_TESSERA, SYS_BLOB, SYS_HASH, NSYS };
static const char* g_sys_names[NSYS] = {"Tessera TABLE.MGET", "Redis MGET blob", "Redis HMGET hash"};
static int g_keyblob; /* --keyblob: Tessera reads with KEYBLOB instead of KEYS */

typedef struct {
  int bad_replies;   /* wrong shape */
  long long mismatches;
  long long checked;
} Check;

/* One batch: format, send, receive, decode into out[k * NCOLS + j]. Returns 0 on a shape error. */
static int read_batch(int sys, redisContext* c, Buf* b, const uint32_t* rows, int k, float* out) {
  b->len = 0;
  if (sys == SYS_TESSERA && !g_keyblob) {
    buf_hdr(b, '*', 4 + NCOLS + (size_t)k); /* TABLE.MGET t COLUMNS c.. KEYS k.. */
    buf_str(b, "TABLE.MGET");
    buf_str(b, "t");
    buf_str(b, "COLUMNS");
    for (int j = 0; j < NCOLS; ++j) buf_bulk(b, g_cols[j], 2);
    buf_str(b, "KEYS");
    for (int i = 0; i < k; ++i) buf_key(b, rows[i]);
  } else if (sys == SYS_TESSERA) {
    buf_hdr(b, '*', 5 + NCOLS); /* TABLE.MGET t COLUMNS c.. KEYBLOB <uint32 N, offsets, keys> */
    buf_str(b, "TABLE.MGET");
    buf_str(b, "t");
    buf_str(b, "COLUMNS");
    for (int j = 0; j < NCOLS; ++j) buf_bulk(b, g_cols[j], 2);
    buf_str(b, "KEYBLOB");
    size_t blob = 4 + 4 * ((size_t)k + 1) + (size_t)k * KEYLEN;
    buf_hdr(b, '$', blob);
    buf_reserve(b, blob + 2);
    unsigned char* p = (unsigned char*)b->p + b->len;
    put_le32(p, (uint32_t)k);
    for (int i = 0; i <= k; ++i) put_le32(p + 4 + 4 * (size_t)i, (uint32_t)(i * KEYLEN));
    char* keys = (char*)p + 4 + 4 * ((size_t)k + 1);
    for (int i = 0; i < k; ++i) key_of(rows[i], keys + (size_t)i * KEYLEN);
    b->len += blob;
    b->p[b->len++] = '\r';
    b->p[b->len++] = '\n';
  } else if (sys == SYS_BLOB) {
    buf_hdr(b, '*', 1 + (size_t)k);
    buf_str(b, "MGET");
    for (int i = 0; i < k; ++i) buf_key(b, rows[i]);
  } else {
    for (int i = 0; i < k; ++i) {
      buf_raw(b, "*12\r\n$5\r\nHMGET\r\n", 16);
      buf_key(b, rows[i]);
      for (int j = 0; j < NCOLS; ++j) buf_bulk(b, g_cols[j], 2);
    }
  }
  append(c, b);
  int ok = 1;
  if (sys == SYS_TESSERA) {
    redisReply* r = get_reply(c, "TABLE.MGET");
    if (r->type != REDIS_REPLY_ARRAY || r->elements != NCOLS) {
      if (r->type == REDIS_REPLY_ERROR) fprintf(stderr, "TABLE.MGET: %s\n", r->str);
      ok = 0;
    } else {
      size_t vbytes = (size_t)(k + 7) / 8;
      for (int j = 0; j < NCOLS && ok; ++j) {
        redisReply* col = r->element[j];
        if (col->type != REDIS_REPLY_ARRAY || col->elements < 3 ||
            col->element[1]->type != REDIS_REPLY_STRING || col->element[1]->len != (size_t)k * 4 ||
            col->element[2]->type != REDIS_REPLY_STRING || col->element[2]->len != vbytes) {
          ok = 0;
          break;
        }
        const char* v = col->element[1]->str;
        const unsigned char* valid = (const unsigned char*)col->element[2]->str;
        for (size_t q = 0; q < vbytes; ++q) {
          unsigned char want = (q + 1 < vbytes || k % 8 == 0) ? 0xFF : (unsigned char)((1u << (k % 8)) - 1);
          if (valid[q] != want) ok = 0; /* a missing row: counted as a bad reply */
        }
        for (int i = 0; i < k; ++i) out[(size_t)i * NCOLS + j] = get_f32(v + 4 * (size_t)i);
      }
    }
    freeReplyObject(r);
  } else if (sys == SYS_BLOB) {
    redisReply* r = get_reply(c, "MGET");
    if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)k) {
      ok = 0;
    } else {
      for (int i = 0; i < k; ++i) {
        redisReply* e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || e->len != 4 * NCOLS) {
          ok = 0;
          break;
        }
        memcpy(out + (size_t)i * NCOLS, e->str, 4 * NCOLS);
      }
    }
    freeReplyObject(r);
  } else {
    for (int i = 0; i < k; ++i) {
      redisReply* r = get_reply(c, "HMGET");
      if (r->type != REDIS_REPLY_ARRAY || r->elements != NCOLS) {
        ok = 0;
      } else {
        for (int j = 0; j < NCOLS; ++j) {
          redisReply* e = r->element[j];
          if (e->type != REDIS_REPLY_STRING || e->len != 4) {
            ok = 0;
            continue;
          }
          out[(size_t)i * NCOLS + j] = get_f32(e->str);
        }
      }
      freeReplyObject(r);
    }
  }
  return ok;
}

static void verify(const uint32_t* rows, int k, const float* out, Check* ck) {
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < NCOLS; ++j) {
      float want = value_of(rows[i], j);
      if (memcmp(&want, &out[(size_t)i * NCOLS + j], 4) != 0) ck->mismatches++;
      ck->checked++;
    }
  }
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double pct(const double* sorted, int n, double p) { /* nearest rank */
  if (n <= 0) return 0;
  int idx = (int)(p / 100.0 * n + 0.999999) - 1;
  if (idx < 0) idx = 0;
  if (idx >= n) idx = n - 1;
  return sorted[idx];
}

/* ---- main -------------------------------------------------------------------------------- */

int main(int argc, char** argv) {
  const char* host = "127.0.0.1";
  int tport = 0, rport = 0, hport = 0, tpid = 0, rpid = 0, hpid = 0;
  uint32_t rows = 1000000, ingest_batch = 10000, pipeline_rows = 1000;
  int batches = 2000, k = 1000, warmup = 50, skip_ingest = 0;
  uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name) (strcmp(a, name) == 0 && v && (++i, 1))
    if (OPT("--host")) host = v;
    else if (OPT("--tessera-port")) tport = atoi(v);
    else if (OPT("--redis-port")) rport = atoi(v);
    else if (OPT("--redis-hash-port")) hport = atoi(v);
    else if (OPT("--tessera-pid")) tpid = atoi(v);
    else if (OPT("--redis-pid")) rpid = atoi(v);
    else if (OPT("--redis-hash-pid")) hpid = atoi(v);
    else if (OPT("--rows")) rows = (uint32_t)strtoul(v, NULL, 10);
    else if (OPT("--batches")) batches = atoi(v);
    else if (OPT("--keys")) k = atoi(v);
    else if (OPT("--ingest-batch")) ingest_batch = (uint32_t)strtoul(v, NULL, 10);
    else if (OPT("--pipeline-rows")) pipeline_rows = (uint32_t)strtoul(v, NULL, 10);
    else if (OPT("--warmup")) warmup = atoi(v);
    else if (OPT("--seed")) seed = strtoull(v, NULL, 10);
    else if (strcmp(a, "--skip-ingest") == 0) skip_ingest = 1;
    else if (strcmp(a, "--keyblob") == 0) g_keyblob = 1;
    else die("unknown or incomplete option %s (see the header of table_feature_bench.c)", a);
#undef OPT
  }
  if (!tport || !rport) die("--tessera-port and --redis-port are required");
  if (rows == 0 || rows > 100000000 || k <= 0 || batches <= 0 || ingest_batch == 0 || pipeline_rows == 0)
    die("bad sizes");
  int shared_redis = hport == 0 || hport == rport;
  if (shared_redis) hport = rport, hpid = rpid;

  redisContext* ct = connect_to(host, tport);
  redisContext* cb = connect_to(host, rport);
  redisContext* ch = shared_redis ? cb : connect_to(host, hport);

  printf("table_feature_bench: rows=%u x %d float32, batches=%d x %d keys (Tessera: %s), ingest batch=%u rows, "
         "redis pipeline=%u rows, %s\n",
         rows, NCOLS, batches, k, g_keyblob ? "KEYBLOB" : "KEYS", ingest_batch, pipeline_rows,
         shared_redis ? "one redis (FLUSHALL between layouts)" : "two redis instances (blob, hash)");
  fflush(stdout);

  /* ---- ingestion and memory ---- */
  double t_tess = 0, t_blob = 0, t_hash = 0;
  long long tm0 = 0, tm1 = 0, tr0 = -1, tr1 = -1, tinfo = -1, bm0 = 0, bm1 = 0, br0 = -1, br1 = -1, hm0 = 0,
            hm1 = 0, hr0 = -1, hr1 = -1;
  if (!skip_ingest) {
    command_ok(ct, 1, "TABLE.DROP t");
    usleep(300000);
    tm0 = info_field(ct, "memory", "used_memory");
    tr0 = rss_bytes(tpid);
    command_ok(ct, 0,
               "TABLE.CREATE t COLUMNS f0 float32 f1 float32 f2 float32 f3 float32 f4 float32 f5 float32 "
               "f6 float32 f7 float32 f8 float32 f9 float32");
    t_tess = ingest_tessera(ct, rows, ingest_batch);
    usleep(300000); /* gauges are published on the worker's tick */
    tm1 = info_field(ct, "memory", "used_memory");
    tr1 = rss_bytes(tpid);
    {
      redisReply* r = (redisReply*)redisCommand(ct, "TABLE.INFO t");
      if (r && r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
          if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, "memory_bytes") == 0)
            tinfo = r->element[i + 1]->integer;
        }
      }
      if (r) freeReplyObject(r);
    }

    command_ok(cb, 0, "FLUSHALL");
    if (!shared_redis) command_ok(ch, 0, "FLUSHALL");
    bm0 = info_field(cb, "memory", "used_memory");
    br0 = rss_bytes(rpid);
    t_blob = ingest_redis(cb, rows, pipeline_rows, 0);
    bm1 = info_field(cb, "memory", "used_memory");
    br1 = rss_bytes(rpid);
    if (shared_redis) {
      /* measure hashes on their own, then put the blobs back for the read phase */
      command_ok(cb, 0, "FLUSHALL");
      usleep(300000);
    }
    hm0 = info_field(ch, "memory", "used_memory");
    hr0 = rss_bytes(hpid);
    t_hash = ingest_redis(ch, rows, pipeline_rows, 1);
    hm1 = info_field(ch, "memory", "used_memory");
    hr1 = rss_bytes(hpid);
    if (shared_redis) ingest_redis(cb, rows, pipeline_rows, 0); /* blobs and hashes side by side */
  }

  /* ---- reads ---- */
  /* batches measured batches, then `warmup` batches of other keys for the warm-up (so no
   * measured batch finds its rows in cache from the warm-up) */
  size_t nkeys = (size_t)(batches + warmup) * (size_t)k;
  uint32_t* seq = (uint32_t*)malloc(nkeys * sizeof *seq);
  float* out = (float*)malloc((size_t)k * NCOLS * sizeof *out);
  double* lat[NSYS];
  for (int s = 0; s < NSYS; ++s) lat[s] = (double*)malloc((size_t)batches * sizeof(double));
  if (!seq || !out) die("out of memory");
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i < nkeys; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    seq[i] = (uint32_t)(mix64(x) % rows);
  }
  redisContext* conns[NSYS] = {ct, cb, ch};
  Check ck[NSYS];
  memset(ck, 0, sizeof ck);
  Buf b = {0};

  /* warm-up: every system reads `warmup` batches (not timed, not counted) */
  for (int w = 0; w < warmup; ++w) {
    const uint32_t* rws = seq + (size_t)(batches + w) * (size_t)k;
    for (int s = 0; s < NSYS; ++s) read_batch(s, conns[s], &b, rws, k, out);
  }
  double tread0 = now_s();
  for (int bi = 0; bi < batches; ++bi) {
    const uint32_t* rws = seq + (size_t)bi * (size_t)k;
    for (int q = 0; q < NSYS; ++q) {
      int s = (bi + q) % NSYS; /* rotate which system goes first */
      double t0 = now_s();
      int ok = read_batch(s, conns[s], &b, rws, k, out);
      lat[s][bi] = now_s() - t0;
      if (!ok) ck[s].bad_replies++;
      verify(rws, k, out, &ck[s]);
      memset(out, 0xAB, (size_t)k * NCOLS * sizeof *out); /* no stale values leak into the next check */
    }
  }
  double tread = now_s() - tread0;

  /* ---- report ---- */
  double p[NSYS][3], mean[NSYS];
  for (int s = 0; s < NSYS; ++s) {
    double sum = 0;
    for (int i = 0; i < batches; ++i) sum += lat[s][i];
    mean[s] = sum / batches * 1e3;
    qsort(lat[s], (size_t)batches, sizeof(double), cmp_double);
    p[s][0] = pct(lat[s], batches, 50) * 1e3;
    p[s][1] = pct(lat[s], batches, 95) * 1e3;
    p[s][2] = pct(lat[s], batches, 99) * 1e3;
  }

  printf("\n== Reads: %d batches x %d random keys x %d float32 columns (interleaved, %.1f s) ==\n", batches, k,
         NCOLS, tread);
  printf("%-20s %9s %9s %9s %9s   %s\n", "system", "p50 ms", "p95 ms", "p99 ms", "mean ms", "check");
  for (int s = 0; s < NSYS; ++s) {
    printf("%-20s %9.3f %9.3f %9.3f %9.3f   %lld/%lld values ok, %d bad replies\n", g_sys_names[s], p[s][0],
           p[s][1], p[s][2], mean[s], ck[s].checked - ck[s].mismatches, ck[s].checked, ck[s].bad_replies);
  }
  printf("%-20s %9.3f %9.3f %9.3f %9.3f   target p95 <= 0.25\n", "Tessera / blob", p[0][0] / p[1][0],
         p[0][1] / p[1][1], p[0][2] / p[1][2], mean[0] / mean[1]);
  printf("%-20s %9.3f %9.3f %9.3f %9.3f   target p95 <= 0.08\n", "Tessera / hash", p[0][0] / p[2][0],
         p[0][1] / p[2][1], p[0][2] / p[2][2], mean[0] / mean[2]);

  if (!skip_ingest) {
    double n = (double)rows;
    printf("\n== Ingestion and memory: %u rows ==\n", rows);
    printf("%-20s %12s %14s %14s   %s\n", "system", "rows/s", "used_mem B/row", "RSS B/row", "notes");
    printf("%-20s %12.0f %14.1f %14.1f   TABLE.INFO memory_bytes %.1f B/row; COLUMNAR batches of %u rows, 4 in flight\n",
           "Tessera", n / t_tess, (double)(tm1 - tm0) / n, tr0 >= 0 ? (double)(tr1 - tr0) / n : -1.0,
           (double)tinfo / n, ingest_batch);
    printf("%-20s %12.0f %14.1f %14.1f   pipelined SET, %u per chunk\n", "Redis blob", n / t_blob,
           (double)(bm1 - bm0) / n, br0 >= 0 ? (double)(br1 - br0) / n : -1.0, pipeline_rows);
    printf("%-20s %12.0f %14.1f %14.1f   pipelined HSET x 10 fields, %u per chunk\n", "Redis hash", n / t_hash,
           (double)(hm1 - hm0) / n, hr0 >= 0 ? (double)(hr1 - hr0) / n : -1.0, pipeline_rows);
    printf("%-20s %12.2f %14.3f %14.3f   targets: ingestion >= 4x, memory <= 0.5x\n", "Tessera / blob",
           (n / t_tess) / (n / t_blob), (double)(tm1 - tm0) / (double)(bm1 - bm0),
           (tr0 >= 0 && br0 >= 0) ? (double)(tr1 - tr0) / (double)(br1 - br0) : -1.0);
    printf("%-20s %14s %14.3f   (TABLE.INFO memory_bytes / Redis blob used_memory)\n", "", "",
           (double)tinfo / (double)(bm1 - bm0));
    printf("RESULT ingest_rows_s_tessera %.0f\nRESULT ingest_rows_s_blob %.0f\nRESULT ingest_rows_s_hash %.0f\n",
           n / t_tess, n / t_blob, n / t_hash);
    printf("RESULT mem_used_b_row_tessera %.1f\nRESULT mem_tableinfo_b_row_tessera %.1f\n"
           "RESULT mem_rss_b_row_tessera %.1f\n",
           (double)(tm1 - tm0) / n, (double)tinfo / n, tr0 >= 0 ? (double)(tr1 - tr0) / n : -1.0);
    printf("RESULT mem_used_b_row_blob %.1f\nRESULT mem_rss_b_row_blob %.1f\n", (double)(bm1 - bm0) / n,
           br0 >= 0 ? (double)(br1 - br0) / n : -1.0);
    printf("RESULT mem_used_b_row_hash %.1f\nRESULT mem_rss_b_row_hash %.1f\n", (double)(hm1 - hm0) / n,
           hr0 >= 0 ? (double)(hr1 - hr0) / n : -1.0);
  }
  const char* tag[NSYS] = {"tessera", "blob", "hash"};
  for (int s = 0; s < NSYS; ++s) {
    printf("RESULT read_p50_ms_%s %.4f\nRESULT read_p95_ms_%s %.4f\nRESULT read_p99_ms_%s %.4f\n", tag[s], p[s][0],
           tag[s], p[s][1], tag[s], p[s][2]);
    printf("RESULT check_%s %s\n", tag[s], (ck[s].mismatches == 0 && ck[s].bad_replies == 0) ? "ok" : "FAILED");
  }
  int failed = 0;
  for (int s = 0; s < NSYS; ++s) failed |= ck[s].mismatches != 0 || ck[s].bad_replies != 0;

  free(b.p);
  free(seq);
  free(out);
  for (int s = 0; s < NSYS; ++s) free(lat[s]);
  if (ch != cb) redisFree(ch);
  redisFree(cb);
  redisFree(ct);
  return failed ? 2 : 0;
}
