/* Every entry point that takes a handle, called from C with a freed handle, after a double
 * free, with zero and with random 64-bit values: each must return DETOUR_ERR_STALE_HANDLE (and
 * the live handle must work, so a wrong setup cannot pass). Run by tests/c_abi.rs:
 * `stale_handles BLOB_PATH`. Prints one line per failed check; exits 1 on any. */

#include <stdio.h>
#include <string.h>

#include "detour.h"

static int failures = 0;
static int checks = 0;

#define EXPECT(what, got, want)                                                              \
  do {                                                                                       \
    int32_t got_ = (got);                                                                    \
    checks++;                                                                                \
    if (got_ != (want)) {                                                                    \
      failures++;                                                                            \
      printf("FAIL %s: %s returned %d, expected %d\n", what, #got, (int)got_, (int)(want)); \
    }                                                                                        \
  } while (0)

static const char *blob_path;
static uint8_t *blob;
static size_t blob_len;

/* Every matcher entry point with `handle`, all other arguments valid. */
static void matcher_calls(const char *what, uint64_t handle, int32_t want) {
  static const char url[] = "/blog/a?x=1";
  DetourRequest request;
  memset(&request, 0, sizeof request);
  request.url.len = (uint32_t)strlen(url);
  DetourResult result;
  uint8_t out[4096];
  EXPECT(what, detour_matcher_match(handle, &request, (const uint8_t *)url, strlen(url), NULL, 0, &result, out,
                                    sizeof out),
         want);
  EXPECT(what, detour_matcher_swap_path(handle, (const uint8_t *)blob_path, strlen(blob_path)), want);
  EXPECT(what, detour_matcher_swap_bytes(handle, blob, blob_len), want);
}

/* Every compilation entry point with `handle`, all other arguments valid. */
static void compilation_calls(const char *what, uint64_t handle, int32_t want) {
  uint8_t buf[1 << 16];
  size_t len = 0;
  DetourDiagnostic diagnostic;
  EXPECT(what, detour_compilation_blob(handle, buf, sizeof buf, &len), want);
  EXPECT(what, detour_compilation_diagnostic_count(handle, &len), want);
  EXPECT(what, detour_compilation_diagnostic(handle, 0, &diagnostic, buf, sizeof buf), want);
}

static uint64_t compile(void) {
  /* The second line has an error (no destination): one diagnostic to read. */
  static const char rules[] = "/blog/* /news/:splat 301\n/bad\n/ok /fine 302\n";
  uint64_t compilation = 0;
  EXPECT("compile", detour_compile_text((const uint8_t *)rules, strlen(rules), (const uint8_t *)"_redirects", 10,
                                        &compilation),
         DETOUR_ERR_RULES);
  return compilation;
}

int main(int argc, char **argv) {
  static uint8_t storage[1 << 20];
  if (argc != 2) {
    fprintf(stderr, "usage: stale_handles BLOB_PATH\n");
    return 2;
  }
  blob_path = argv[1];
  FILE *f = fopen(blob_path, "rb");
  if (!f) {
    perror(blob_path);
    return 2;
  }
  blob_len = fread(storage, 1, sizeof storage, f);
  fclose(f);
  blob = storage;
  EXPECT("abi version", (int32_t)detour_abi_version(), DETOUR_ABI_VERSION);

  /* A live matcher works: every call succeeds. */
  uint64_t live = 0;
  EXPECT("open", detour_matcher_from_bytes(blob, blob_len, &live), DETOUR_OK);
  matcher_calls("live matcher", live, DETOUR_OK);

  /* Freed, then freed again. */
  uint64_t freed = 0;
  EXPECT("open", detour_matcher_open((const uint8_t *)blob_path, strlen(blob_path), &freed), DETOUR_OK);
  EXPECT("first free", detour_matcher_free(freed), DETOUR_OK);
  matcher_calls("freed matcher", freed, DETOUR_ERR_STALE_HANDLE);
  EXPECT("double free", detour_matcher_free(freed), DETOUR_ERR_STALE_HANDLE);
  matcher_calls("doubly freed matcher", freed, DETOUR_ERR_STALE_HANDLE);

  /* The freed slot is reused by the next open: the old handle still sees nothing. */
  uint64_t reused = 0;
  EXPECT("reopen", detour_matcher_from_bytes(blob, blob_len, &reused), DETOUR_OK);
  if (reused == freed) {
    failures++;
    printf("FAIL a reused slot gave the same handle\n");
  }
  matcher_calls("freed matcher after its slot was reused", freed, DETOUR_ERR_STALE_HANDLE);
  EXPECT("free after reuse", detour_matcher_free(freed), DETOUR_ERR_STALE_HANDLE);
  matcher_calls("the reused slot's own handle", reused, DETOUR_OK);

  /* Zero, and random values (xorshift64, fixed seed): never issued. */
  matcher_calls("zero handle", 0, DETOUR_ERR_STALE_HANDLE);
  EXPECT("free zero", detour_matcher_free(0), DETOUR_ERR_STALE_HANDLE);
  compilation_calls("zero handle", 0, DETOUR_ERR_STALE_HANDLE);
  EXPECT("free zero compilation", detour_compilation_free(0), DETOUR_ERR_STALE_HANDLE);
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < 1000; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (x == live || x == reused) continue; /* 2^-64: a value that is by chance a live handle */
    matcher_calls("random handle", x, DETOUR_ERR_STALE_HANDLE);
    EXPECT("free random", detour_matcher_free(x), DETOUR_ERR_STALE_HANDLE);
    compilation_calls("random handle", x, DETOUR_ERR_STALE_HANDLE);
    EXPECT("free random compilation", detour_compilation_free(x), DETOUR_ERR_STALE_HANDLE);
  }

  /* Compilations: live, freed, doubly freed; and handles of the other kind. */
  uint64_t compilation = compile();
  compilation_calls("live compilation", compilation, DETOUR_OK);
  compilation_calls("a matcher handle used as a compilation", live, DETOUR_ERR_STALE_HANDLE);
  matcher_calls("a compilation handle used as a matcher", compilation, DETOUR_ERR_STALE_HANDLE);
  EXPECT("free a compilation as a matcher", detour_matcher_free(compilation), DETOUR_ERR_STALE_HANDLE);
  EXPECT("free compilation", detour_compilation_free(compilation), DETOUR_OK);
  compilation_calls("freed compilation", compilation, DETOUR_ERR_STALE_HANDLE);
  EXPECT("double free compilation", detour_compilation_free(compilation), DETOUR_ERR_STALE_HANDLE);
  compilation_calls("doubly freed compilation", compilation, DETOUR_ERR_STALE_HANDLE);

  /* The error message names the problem. */
  uint8_t message[256];
  size_t message_len = 0;
  detour_matcher_free(0);
  EXPECT("last error", detour_last_error_message(message, sizeof message, &message_len), DETOUR_OK);
  if (message_len < 5 || memcmp(message, "stale", 5) != 0) {
    failures++;
    printf("FAIL the last error is %.*s\n", (int)message_len, (const char *)message);
  }

  EXPECT("free live", detour_matcher_free(live), DETOUR_OK);
  EXPECT("free reused", detour_matcher_free(reused), DETOUR_OK);
  printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
