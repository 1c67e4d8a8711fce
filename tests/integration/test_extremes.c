/*
 * test_extremes.c - the real parkd, its address space capped, answers every
 * route of its own OpenAPI document with every parameter at every extreme
 * of tests/support/extremes.h (one parameter at a time, the others valid;
 * and from/to at opposite ends together), with each role's token:
 *
 *   - never a 5xx but the 503s of a feature not configured (ext_check);
 *   - an answer within 10 s, and parkd alive after every request;
 *   - a 4xx for a numeric parameter out of any sane range (INT64 limits,
 *     2^53, NaN, inf, 1e308, huge units);
 *   - parkd's peak RSS (VmHWM) under the cap.
 *
 * A crash is reported with its request and parkd is restarted, so that one
 * run lists every finding; the test fails if there was any. Cases being
 * fixed can be left out with $PARKWATCH_EXTREMES_SKIP (extremes.h).
 *
 * The cap: RLIMIT_AS of 512 MiB, set in the child before exec, with
 * MALLOC_ARENA_MAX=2. Address space, not memory used, is what counts:
 * RocksDB's background threads and the API's reserve it (8 MiB stacks, and
 * 64 MiB per glibc malloc arena, up to 8 arenas a core as threads contend:
 * with the default, parkd started under 640 MiB once and failed under 768
 * on a loaded machine). With two arenas parkd does not start under 256 MiB
 * (RocksDB cannot create a thread: std::system_error EAGAIN) and starts
 * under 384; 512 leaves room for its queries (VmHWM in the walk: some 50
 * MiB) while a query that allocated for 2^53 buckets would fail. Under
 * AddressSanitizer (whose shadow memory reserves terabytes of address
 * space) there is no cap, and only the VmHWM bound holds.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/resource.h>

#include "api/api.h"
#include "tests/support/extremes.h"
#include "tests/support/park.h"

#ifndef PARKWATCH_SOURCE_DIR
#error "PARKWATCH_SOURCE_DIR must name the source tree"
#endif

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define CAP_MB     512ull /* PARKWATCH_EXTREMES_CAP_MB: another, to find the smallest */
#define TIMEOUT_MS 10000
#define N_ROLES    5 /* the last: no token */

static unsigned long long CAP_BYTES;
static park P;
static long log_start; /* where the running parkd's part of its log starts */
static int port;
static char layout_text[65536], extra[256];
static char tokens[N_ROLES][API_TOKEN_MAX];
static const char *const role_names[N_ROLES] = {"admin", "operator", "regulator", "enterprise",
                                                "none"};
static const ext_park names = {"E001/gd-01/lel", "E001", "gd-01", "E001-T101",
                               "E001-T101",      "1",    "1"};

static struct {
    size_t requests, by_class[6], timeouts, crashes, not_4xx, findings, skipped;
    long hwm_kb, slowest_ms;
} S;

/* parkd with its address space capped, as park.h's spawn_parkd otherwise. */
static void spawn_capped(void) {
    char bin[PATH_MAX + 16];
    snprintf(bin, sizeof bin, "%s/parkd", proc_bindir());
    char *argv[] = {bin, "--config", P.config, "--stats-file", P.stats, NULL};
    struct stat sb;
    log_start = stat(P.log, &sb) == 0 ? (long)sb.st_size : 0;
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {CAP_BYTES, CAP_BYTES}, nf;
        if (!UNDER_ASAN && setrlimit(RLIMIT_AS, &rl) != 0) _exit(126);
        /* glibc reserves 64 MiB of address space per malloc arena, up to 8
         * a core, as threads contend: without a fixed count the cap would
         * depend on the machine and the load */
        setenv("MALLOC_ARENA_MAX", "2", 1);
        /* a stream the client left holds its connection until the next
         * heartbeat (15 s): room for the walk's streams */
        if (getrlimit(RLIMIT_NOFILE, &nf) == 0 && nf.rlim_cur < 4096) {
            nf.rlim_cur = nf.rlim_max < 4096 ? nf.rlim_max : 4096;
            setrlimit(RLIMIT_NOFILE, &nf);
        }
        int fd = open(P.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) dup2(fd, 1), dup2(fd, 2), close(fd);
        execv(argv[0], argv);
        _exit(127);
    }
    assert_true(pid > 0);
    proc_track(pid);
    P.parkd = pid;
    unlink(P.stats);
    for (int i = 0; i < 3000; i++) {
        char *s = proc_read_file(P.stats);
        bool ok = s && strstr(s, "\"connected\": true") && proc_port_open(port);
        free(s);
        if (ok) return;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            proc_forget(pid);
            fail_msg("parkd exited at start (cap %llu MiB?); see %s", CAP_BYTES >> 20, P.log);
        }
        proc_sleep_ms(10);
    }
    fail_msg("parkd did not start; see %s", P.log);
}

/* The peak RSS of the running parkd, kept as the maximum over its runs. */
static void note_hwm(void) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)P.parkd);
    FILE *f = fopen(path, "r"); /* its size is 0: proc_read_file reads nothing */
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) {
            long kb = strtol(line + 6, NULL, 10);
            if (kb > S.hwm_kb) S.hwm_kb = kb;
        }
    if (f) fclose(f);
}

/* What the dead parkd said of its end: the sanitizers' reports. */
static void print_death(void) {
    FILE *f = fopen(P.log, "r");
    char line[512];
    if (f && fseek(f, log_start, SEEK_SET) == 0)
        while (fgets(line, sizeof line, f))
            if (strstr(line, "runtime error") || strstr(line, "ERROR: ") ||
                strstr(line, "SUMMARY: ") || strstr(line, "terminate called"))
                printf("    parkd: %s", line);
    if (f) fclose(f);
}

/* Whether parkd died (reaped, reported); a dead parkd is restarted.
 * tries: how many times to look, 20 ms apart (a crash takes a moment). */
static bool died(const char *what, int tries) {
    int st;
    for (int i = 0; i < tries; i++) {
        if (waitpid(P.parkd, &st, WNOHANG) == P.parkd) {
            proc_forget(P.parkd);
            printf("FINDING: %s: parkd died (%s %d); see %s\n", what,
                   WIFSIGNALED(st) ? "signal" : "exit",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), P.log);
            S.crashes++, S.findings++;
            print_death();
            spawn_capped();
            return true;
        }
        if (i + 1 < tries) proc_sleep_ms(20);
    }
    return false;
}

static void describe(char *out, size_t cap, const ext_route *r, const ext_set *sets, size_t ns,
                     int role) {
    size_t n = (size_t)snprintf(out, cap, "%s %s", r->method, r->path);
    for (size_t i = 0; i < ns && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s=%s", i ? "&" : " ", r->p[sets[i].param].name,
                              sets[i].v->label);
    if (n < cap) snprintf(out + n, cap - n, " as %s", role_names[role]);
}

static void one(const ext_route *r, const ext_set *sets, size_t ns, int role) {
    if (ext_skipped(r, sets, ns)) {
        S.skipped++;
        return;
    }
    char what[512], why[512];
    describe(what, sizeof what, r, sets, ns, role);
    size_t n;
    char *req = ext_request(r, &names, sets, ns, role < 4 ? tokens[role] : NULL, &n);
    ext_answer a;
    int rc = ext_exchange(port, req, n, TIMEOUT_MS, &a);
    free(req);
    S.requests++;
    if (getenv("PARKWATCH_EXTREMES_VERBOSE"))
        printf("%s: %d in %ld ms\n", what, rc == 0 ? a.status : -1, a.ms);
    if (a.ms > S.slowest_ms) S.slowest_ms = a.ms;
    if (rc != 0 || a.status == 0) {
        if (!died(what, 10)) {
            if (rc != 0 && errno == ETIMEDOUT) S.timeouts++;
            printf("FINDING: %s: %s\n", what,
                   rc != 0 && errno == ETIMEDOUT ? "no answer within 10 s" : "no answer");
            S.findings++;
        }
        ext_answer_free(&a);
        return;
    }
    S.by_class[a.status / 100 <= 5 ? a.status / 100 : 0]++;
    if (ext_check(&a, why, sizeof why) != 0) {
        printf("FINDING: %s: %s\n", what, why);
        S.findings++;
    } else if (role < 4 && (a.status < 400 || a.status > 499)) {
        /* one numeric parameter out of any sane range, the others valid */
        bool insane = false;
        for (size_t i = 0; i < ns; i++)
            insane = insane || (sets[i].v->insane && r->p[sets[i].param].numeric);
        if (insane) {
            printf("FINDING: %s: %d for a value out of range: %.160s\n", what, a.status,
                   a.body ? a.body : "");
            S.not_4xx++, S.findings++;
        }
    }
    ext_answer_free(&a);
    died(what, 1);
    if (S.requests % 64 == 0) note_hwm();
}

static int param_of(const ext_route *r, const char *name) {
    for (size_t i = 0; i < r->np; i++)
        if (!strcmp(r->p[i].name, name) && r->p[i].in == EXT_IN_QUERY) return (int)i;
    return -1;
}

static const ext_value *value_named(const char *label) {
    for (size_t i = 0; i < ext_n_values; i++)
        if (!strcmp(ext_values[i].label, label)) return &ext_values[i];
    return NULL;
}

static void walk(const ext_api *api) {
    size_t tried = 0;
    for (size_t ri = 0; ri < api->n; ri++) {
        const ext_route *r = &api->r[ri];
        for (int role = 0; role < N_ROLES; role++) {
            one(r, NULL, 0, role); /* the valid request */
            for (size_t i = 0; i < r->np; i++)
                for (size_t v = 0; v < ext_n_values; v++) {
                    /* without a token, the 401 comes first: one value is enough */
                    if (role == 4 && v > 0) break;
                    ext_set s = {.param = i, .v = &ext_values[v]};
                    one(r, &s, 1, role);
                    tried += role == 0;
                }
            /* a span from one end of time to the other (issue 16) */
            int from = param_of(r, "from"), to = param_of(r, "to");
            static const char *const ends[][2] = {{"INT64_MIN", "INT64_MAX"},
                                                  {"0", "INT64_MAX"},
                                                  {"INT64_MIN", "0"},
                                                  {"-1e18d", "INT64_MAX"}};
            for (size_t e = 0; from >= 0 && to >= 0 && role < 4 && e < 4; e++) {
                ext_set s[2] = {{.param = (size_t)from, .v = value_named(ends[e][0])},
                                {.param = (size_t)to, .v = value_named(ends[e][1])}};
                one(r, s, 2, role);
            }
        }
    }
    size_t params = 0;
    for (size_t ri = 0; ri < api->n; ri++) params += api->r[ri].np;
    note_hwm();
    printf("test_extremes: %zu routes x %zu parameters x %zu values (%zu cases a role), %zu "
           "requests: 1xx %zu, 2xx %zu, 3xx %zu, 4xx %zu, 5xx %zu, no status %zu; %zu timeouts, "
           "%zu crashes, %zu not 4xx when out of range, %zu skipped; slowest %ld ms; parkd VmHWM "
           "%ld MiB (cap %llu MiB%s)\n",
           api->n, params, ext_n_values, tried, S.requests, S.by_class[1], S.by_class[2],
           S.by_class[3], S.by_class[4], S.by_class[5], S.by_class[0], S.timeouts, S.crashes,
           S.not_4xx, S.skipped, S.slowest_ms, S.hwm_kb / 1024, CAP_BYTES >> 20,
           UNDER_ASAN ? ", not set under ASan" : "");
}

static void load_layout(void) {
    FILE *f = fopen(PARKWATCH_SOURCE_DIR "/fuzz/corpus/geo/small-park.geojson", "r");
    assert_non_null(f);
    size_t n = fread(layout_text, 1, sizeof layout_text - 1, f);
    fclose(f);
    layout_text[n] = 0;
    P.layout = layout_text;
}

/* Two hours of readings of E001's detector, so that queries have points. */
static void feed(void) {
    char body[256];
    int64_t now = proc_wall_ms();
    for (int k = 0; k < 12; k++) {
        snprintf(body, sizeof body, "{\"ts\": %lld, \"values\": {\"lel\": %d}}",
                 (long long)(now - (12 - k) * 600000LL), 5 + k);
        char head[768];
        snprintf(head, sizeof head,
                 "POST /api/v1/ingest?device=gd-01 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 "%s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: "
                 "close\r\n\r\n%s",
                 tokens[3], strlen(body), body);
        ext_answer a;
        assert_int_equal(ext_exchange(port, head, strlen(head), TIMEOUT_MS, &a), 0);
        if (a.status != 200) fail_msg("ingest: %d %s", a.status, a.body ? a.body : "");
        ext_answer_free(&a);
    }
}

static void test_extremes(void **state) {
    (void)state;
    const char *cap = getenv("PARKWATCH_EXTREMES_CAP_MB");
    CAP_BYTES = (cap && *cap ? strtoull(cap, NULL, 10) : CAP_MB) << 20;
    load_layout();
    port = proc_free_port();
    assert_true(port > 0);
    snprintf(extra, sizeof extra,
             " \"api\": {\"listen\": \"127.0.0.1:%d\", \"max_points\": 5000, \"max_body_bytes\": "
             "65536, \"max_streams\": 3000},\n",
             port);
    P.extra = extra;
    park_broker_up(&P, "extremes");
    write_config(&P, NULL);
    spawn_capped();
    char file[700];
    snprintf(file, sizeof file, "%s/tokens.json", P.data);
    for (int role = 0; role < 4; role++)
        park_token(&P, file, role_names[role], role == 3 ? "E001" : NULL, role_names[role],
                   tokens[role], API_TOKEN_MAX);
    /* parkd rereads the token file within a second */
    int st = 0;
    char *doc = NULL;
    size_t doc_n = 0;
    for (int i = 0; i < 100 && st != 200; i++) {
        char req[512];
        snprintf(req, sizeof req,
                 "GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 "%s\r\nConnection: close\r\n\r\n",
                 tokens[3]);
        ext_answer a;
        if (ext_exchange(port, req, strlen(req), TIMEOUT_MS, &a) == 0 && a.status == 200 &&
            a.complete) {
            st = 200;
            doc = a.body, doc_n = a.body_len, a.body = NULL;
        }
        ext_answer_free(&a);
        if (st != 200) proc_sleep_ms(100);
    }
    assert_int_equal(st, 200);
    feed();
    ext_api api;
    char err[256];
    if (ext_load(doc, doc_n, &api, err, sizeof err) != 0) fail_msg("%s", err);
    free(doc);
    assert_true(api.n > 0);
    walk(&api);
    ext_free(&api);
    /* ASan's quarantine (256 MiB) and shadow count in its RSS: twice the cap */
    assert_true((unsigned long long)S.hwm_kb * 1024 < (UNDER_ASAN ? 2 : 1) * CAP_BYTES);
    assert_int_equal(proc_stop(P.parkd, SIGTERM), 0);
    proc_stop(P.broker, SIGTERM);
    if (S.findings) fail_msg("%zu findings (FINDING lines above)", S.findings);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_extremes)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
