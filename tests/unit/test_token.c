/*
 * test_token.c - API tokens: the SHA-256 test vectors of FIPS 180-4, roles,
 * creating, listing and revoking tokens in the token file (its mode, its
 * contents, its validation), and the store parkd checks requests against:
 * accepting the token and nothing near it, seeing revocations and new
 * tokens after a reread, keeping its tokens when a reread fails, expiry
 * and the validity check by id, and concurrent writers and readers.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "common/sha256.h"
#include "tests/support/testutil.h"

#define TOKEN_LEN 84

/* ---- helpers ---- */

typedef struct fixture {
    char dir[512];
    char path[600];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    testutil_tmpdir(f->dir, sizeof f->dir, "token");
    snprintf(f->path, sizeof f->path, "%s/tokens.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    testutil_rmtree(f->dir);
    free(f);
    return 0;
}

static void hex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static void assert_digest(const uint8_t d[32], const char *want) {
    char got[65];
    hex(d, 32, got);
    assert_string_equal(got, want);
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return buf;
}

static void write_raw(const char *path, const char *text, mode_t mode) {
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.test", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    assert_int_equal(rename(tmp, path), 0);
}

static void create_ok(const char *path, api_role role, const char *ent, const char *name,
                      char token[API_TOKEN_MAX], api_token_info *info) {
    char err[256] = "";
    if (api_token_create(path, role, ent, name, 0, token, info, err, sizeof err) != 0)
        fail_msg("create %s: %s", name, err);
}

static void create_exp_ok(const char *path, const char *name, int64_t expires_ms,
                          char token[API_TOKEN_MAX], api_token_info *info) {
    char err[256] = "";
    if (api_token_create(path, API_ROLE_OPERATOR, "", name, expires_ms, token, info, err,
                         sizeof err) != 0)
        fail_msg("create %s: %s", name, err);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static api_token_store *open_ok(const char *path) {
    api_token_store *s;
    char err[256] = "";
    if (api_token_store_open(path, &s, err, sizeof err) != 0) fail_msg("store_open: %s", err);
    return s;
}

static bool accepted(api_token_store *s, const char *token) {
    api_token_info info;
    return api_token_store_check(s, token, &info) == 0;
}

/* Past the store's once-a-second look at the file. */
static void wait_reread(void) {
    struct timespec ts = {1, 150 * 1000 * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static size_t list_count(const char *path) {
    api_token_info *v;
    size_t n;
    char err[256] = "";
    if (api_token_list(path, &v, &n, err, sizeof err) != 0) fail_msg("list: %s", err);
    free(v);
    return n;
}

/* ---- SHA-256 ---- */

static void test_sha256_vectors(void **state) {
    (void)state;
    uint8_t d[32];
    pw_sha256("", 0, d);
    assert_digest(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    pw_sha256("abc", 3, d);
    assert_digest(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    pw_sha256(m448, strlen(m448), d);
    assert_digest(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *m896 =
        "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopq"
        "klmnopqrlmnopqrsmnopqrstnopqrstu";
    pw_sha256(m896, strlen(m896), d);
    assert_digest(d, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");

    /* one million 'a', one-shot and in uneven pieces */
    size_t n = 1000000;
    char *a = malloc(n);
    memset(a, 'a', n);
    const char *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    pw_sha256(a, n, d);
    assert_digest(d, million);
    pw_sha256_ctx c;
    pw_sha256_init(&c);
    size_t off = 0, step = 1;
    while (off < n) {
        size_t k = step < n - off ? step : n - off;
        pw_sha256_update(&c, a + off, k);
        off += k;
        step = step * 7 % 191 + 1; /* 1..191: crosses the 64-byte blocks every way */
    }
    pw_sha256_final(&c, d);
    assert_digest(d, million);
    free(a);
}

/* RFC 4231's test cases 1, 2 and 6 (a key longer than the block). */
static void test_hmac_sha256_vectors(void **state) {
    (void)state;
    uint8_t d[32], key[131];
    memset(key, 0x0b, 20);
    pw_hmac_sha256(key, 20, "Hi There", 8, d);
    assert_digest(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    pw_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
    assert_digest(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, sizeof key);
    const char *m = "Test Using Larger Than Block-Size Key - Hash Key First";
    pw_hmac_sha256(key, sizeof key, m, strlen(m), d);
    assert_digest(d, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* Every length around the padding boundaries, piecewise equal to one-shot. */
static void test_sha256_pieces(void **state) {
    (void)state;
    uint8_t msg[300];
    uint64_t seed = 42;
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)testutil_rand(&seed);
    for (size_t len = 0; len <= sizeof msg; len++) {
        uint8_t one[32], two[32];
        pw_sha256(msg, len, one);
        size_t cut = len ? testutil_rand(&seed) % (len + 1) : 0;
        pw_sha256_ctx c;
        pw_sha256_init(&c);
        pw_sha256_update(&c, msg, cut);
        pw_sha256_update(&c, NULL, 0);
        pw_sha256_update(&c, msg + cut, len - cut);
        pw_sha256_final(&c, two);
        assert_memory_equal(one, two, 32);
    }
    /* 55, 56 and 64 bytes: the length fits, just misses, a whole block */
    uint8_t d[32];
    char m[65];
    memset(m, 'a', 64);
    pw_sha256(m, 55, d);
    assert_digest(d, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    pw_sha256(m, 56, d);
    assert_digest(d, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    pw_sha256(m, 64, d);
    assert_digest(d, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

/* ---- roles ---- */

static void test_roles(void **state) {
    (void)state;
    const char *names[] = {"admin", "operator", "regulator", "enterprise"};
    for (int r = 0; r < API_ROLE_COUNT; r++) {
        assert_string_equal(api_role_name((api_role)r), names[r]);
        api_role got = API_ROLE_COUNT;
        assert_true(api_role_parse(names[r], &got));
        assert_int_equal(got, r);
    }
    api_role got = API_ROLE_OPERATOR;
    assert_false(api_role_parse("Admin", &got));
    assert_false(api_role_parse("", &got));
    assert_false(api_role_parse("root", &got));
    assert_false(api_role_parse(NULL, &got));
    assert_int_equal(got, API_ROLE_OPERATOR);
    assert_string_equal(api_role_name(API_ROLE_COUNT), "?");
}

/* ---- create, list, check ---- */

static void test_create_list_check(void **state) {
    fixture *f = *state;
    char tok[API_TOKEN_MAX], tok2[API_TOKEN_MAX];
    api_token_info info, info2;
    create_ok(f->path, API_ROLE_OPERATOR, NULL, "control room", tok, &info);
    create_ok(f->path, API_ROLE_ENTERPRISE, "E001", "E001 gateway", tok2, &info2);

    /* "pw_" + id + "_" + 64 hex digits */
    assert_int_equal(strlen(tok), TOKEN_LEN);
    assert_memory_equal(tok, "pw_", 3);
    assert_memory_equal(tok + 3, info.id, 16);
    assert_int_equal(tok[19], '_');
    for (int i = 20; i < TOKEN_LEN; i++) assert_non_null(strchr("0123456789abcdef", tok[i]));
    assert_int_equal(strlen(info.id), 16);
    assert_string_not_equal(info.id, info2.id);
    assert_string_not_equal(tok + 20, tok2 + 20);
    assert_int_equal(info.role, API_ROLE_OPERATOR);
    assert_string_equal(info.enterprise, "");
    assert_string_equal(info.name, "control room");
    int64_t now = (int64_t)time(NULL) * 1000;
    assert_true(info.created_ms > now - 60000 && info.created_ms <= now + 60000);

    /* list: both, in creation order, as created */
    api_token_info *v;
    size_t n;
    char err[256];
    assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(&v[0], &info, sizeof info);
    assert_memory_equal(&v[1], &info2, sizeof info2);
    free(v);

    api_token_store *s = open_ok(f->path);
    api_token_info got;
    assert_int_equal(api_token_store_check(s, tok, &got), 0);
    assert_string_equal(got.id, info.id);
    assert_int_equal(got.role, API_ROLE_OPERATOR);
    assert_string_equal(got.enterprise, "");
    assert_string_equal(got.name, "control room");
    assert_int_equal(got.created_ms, info.created_ms);
    assert_int_equal(api_token_store_check(s, tok2, &got), 0);
    assert_int_equal(got.role, API_ROLE_ENTERPRISE);
    assert_string_equal(got.enterprise, "E001");
    assert_string_equal(got.name, "E001 gateway");

    /* one changed character anywhere: refused (and *out cleared) */
    for (int i = 0; i < TOKEN_LEN; i++) {
        char bad[API_TOKEN_MAX];
        memcpy(bad, tok, sizeof bad);
        bad[i] = bad[i] == 'a' ? 'b' : 'a';
        memset(&got, 0x55, sizeof got);
        assert_int_equal(api_token_store_check(s, bad, &got), -1);
        assert_string_equal(got.id, "");
        assert_string_equal(got.name, "");
    }
    /* the other token's secret under this id */
    char mixed[API_TOKEN_MAX];
    memcpy(mixed, tok, 20);
    memcpy(mixed + 20, tok2 + 20, TOKEN_LEN - 20 + 1);
    assert_false(accepted(s, mixed));
    /* longer, shorter, upper case, empty, NULL */
    char longer[API_TOKEN_MAX + 8];
    snprintf(longer, sizeof longer, "%s0", tok);
    assert_false(accepted(s, longer));
    char shorter[API_TOKEN_MAX];
    memcpy(shorter, tok, sizeof shorter);
    shorter[TOKEN_LEN - 1] = '\0';
    assert_false(accepted(s, shorter));
    char upper[API_TOKEN_MAX];
    memcpy(upper, tok, sizeof upper);
    for (int i = 20; i < TOKEN_LEN; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = (char)(upper[i] - 32);
    if (strcmp(upper, tok)) assert_false(accepted(s, upper));
    assert_false(accepted(s, ""));
    assert_false(accepted(s, "pw_"));
    assert_int_equal(api_token_store_check(s, NULL, &got), -1);
    assert_int_equal(api_token_store_check(NULL, tok, &got), -1);
    /* out may be NULL */
    assert_int_equal(api_token_store_check(s, tok, NULL), 0);
    api_token_store_close(s);
    api_token_store_close(NULL);
}

/* ---- the file ---- */

static void test_file_mode_and_contents(void **state) {
    fixture *f = *state;
    /* the file is 0600 whatever the umask */
    char tok[API_TOKEN_MAX], err[256];
    api_token_info info, spare;
    struct stat st;
    mode_t old = umask(0);
    create_ok(f->path, API_ROLE_OPERATOR, "", "spare", tok, &spare);
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    umask(0277);
    create_ok(f->path, API_ROLE_ADMIN, "", "alice", tok, &info);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(api_token_revoke(f->path, spare.id, err, sizeof err), 0);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    umask(old);

    char *text = slurp(f->path);
    assert_null(strstr(text, tok));
    assert_null(strstr(text, tok + 20)); /* nor the secret alone */
    uint8_t d[32];
    char want[65];
    pw_sha256(tok, strlen(tok), d);
    hex(d, 32, want);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, info.id));

    /* it is the documented JSON */
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "version")), 1);
    json_t *t = json_array_get(json_object_get(root, "tokens"), 0);
    assert_string_equal(json_string_value(json_object_get(t, "id")), info.id);
    assert_string_equal(json_string_value(json_object_get(t, "sha256")), want);
    assert_string_equal(json_string_value(json_object_get(t, "role")), "admin");
    assert_string_equal(json_string_value(json_object_get(t, "enterprise")), "");
    assert_string_equal(json_string_value(json_object_get(t, "name")), "alice");
    assert_int_equal(json_integer_value(json_object_get(t, "created_ms")), info.created_ms);
    json_decref(root);

    /* no temporary file left behind */
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s.tmp", f->path);
    assert_int_equal(access(tmp, F_OK), -1);

    /* a stale, readable PATH.tmp from a dead writer is replaced, not reused */
    write_raw(tmp, "junk", 0644);
    create_ok(f->path, API_ROLE_REGULATOR, "", "inspector", tok, NULL);
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(list_count(f->path), 2);

    /* root rewriting parkd's file keeps parkd as its owner */
    if (geteuid() == 0) {
        assert_int_equal(chown(f->path, 4242, 4242), 0);
        assert_int_equal(api_token_revoke(f->path, "inspector", err, sizeof err), 0);
        assert_int_equal(stat(f->path, &st), 0);
        assert_int_equal(st.st_uid, 4242);
        assert_int_equal(st.st_mode & 07777, 0600);
    }
}

static void test_readable_file_refused(void **state) {
    fixture *f = *state;
    char tok[API_TOKEN_MAX], err[512];
    create_ok(f->path, API_ROLE_OPERATOR, "", "op", tok, NULL);
    api_token_store *s;
    api_token_info *v;
    size_t n;
    const mode_t modes[] = {0644, 0640, 0604, 0620, 0610};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        assert_int_equal(chmod(f->path, modes[i]), 0);
        err[0] = '\0';
        assert_int_equal(api_token_store_open(f->path, &s, err, sizeof err), -1);
        assert_null(s);
        assert_non_null(strstr(err, f->path));
        assert_non_null(strstr(err, "chmod 600"));
        err[0] = '\0';
        assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), -1);
        assert_non_null(strstr(err, f->path));
        /* nor is a token added to it */
        err[0] = '\0';
        assert_int_equal(
            api_token_create(f->path, API_ROLE_ADMIN, "", "x", 0, tok, NULL, err, sizeof err), -1);
        assert_string_equal(tok, "");
        assert_non_null(strstr(err, f->path));
        assert_int_equal(api_token_revoke(f->path, "op", err, sizeof err), -1);
    }
    assert_int_equal(chmod(f->path, 0600), 0);
    assert_int_equal(list_count(f->path), 1);
    assert_int_equal(chmod(f->path, 0400), 0); /* owner-only, read-only: fine */
    assert_int_equal(list_count(f->path), 1);
}

static void test_validation(void **state) {
    fixture *f = *state;
    char tok[API_TOKEN_MAX], err[256];
    struct {
        api_role role;
        const char *ent, *name, *why;
    } bad[] = {
        {API_ROLE_ENTERPRISE, "", "gw", "needs an enterprise"},
        {API_ROLE_ENTERPRISE, NULL, "gw", "needs an enterprise"},
        {API_ROLE_OPERATOR, "E001", "gw", "only the enterprise role"},
        {API_ROLE_ADMIN, "E001", "gw", "only the enterprise role"},
        {API_ROLE_ENTERPRISE, "E 001", "gw", "letters, digits"},
        {API_ROLE_ENTERPRISE, "E001/x", "gw", "letters, digits"},
        {API_ROLE_ENTERPRISE, "E0000000000000000000000000000001", "gw", "longer than 31"},
        {API_ROLE_OPERATOR, "", "", "needs a name"},
        {API_ROLE_OPERATOR, "", NULL, "needs a name"},
        {API_ROLE_OPERATOR, "", "tab\there", "printable"},
        {API_ROLE_OPERATOR, "", "line\nbreak", "printable"},
        {API_ROLE_OPERATOR, "", "caf\xc3\xa9", "printable"},
        {API_ROLE_OPERATOR, "", " padded", "space"},
        {API_ROLE_OPERATOR, "", "0123456789012345678901234567890123456789012345678901234567890123",
         "longer than 63"},
        {API_ROLE_COUNT, "", "gw", "unknown role"},
        {(api_role)-1, "", "gw", "unknown role"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(api_token_create(f->path, bad[i].role, bad[i].ent, bad[i].name, 0, tok,
                                          NULL, err, sizeof err),
                         -1);
        if (!strstr(err, bad[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].why);
        assert_non_null(strstr(err, f->path));
        assert_string_equal(tok, "");
    }
    assert_int_equal(access(f->path, F_OK), -1); /* nothing was written */

    /* the limits themselves are fine */
    create_ok(f->path, API_ROLE_ENTERPRISE, "E000000000000000000000000000001", "gw", tok, NULL);
    create_ok(f->path, API_ROLE_ENTERPRISE, "a-Z_9", "gw", tok, NULL);
    create_ok(f->path, API_ROLE_OPERATOR, "",
              "012345678901234567890123456789012345678901234567890123456789012", tok, NULL);
    create_ok(f->path, API_ROLE_OPERATOR, "", "~ !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", tok, NULL);
    assert_int_equal(list_count(f->path), 4);
    assert_int_equal(api_token_create(NULL, API_ROLE_ADMIN, "", "x", 0, tok, NULL, err, sizeof err),
                     -1);
    assert_int_equal(api_token_create("", API_ROLE_ADMIN, "", "x", 0, tok, NULL, err, sizeof err),
                     -1);
    /* err may be NULL */
    assert_int_equal(api_token_create(f->path, API_ROLE_ADMIN, "E1", "x", 0, tok, NULL, NULL, 0),
                     -1);
}

/* ---- revoke ---- */

static void test_revoke(void **state) {
    fixture *f = *state;
    char alice[API_TOKEN_MAX], bob[API_TOKEN_MAX], carol[API_TOKEN_MAX], err[512];
    api_token_info ia, ib, ic;
    create_ok(f->path, API_ROLE_ADMIN, "", "alice", alice, &ia);
    create_ok(f->path, API_ROLE_OPERATOR, "", "bob", bob, &ib);
    create_ok(f->path, API_ROLE_REGULATOR, "", "carol", carol, &ic);
    api_token_store *s = open_ok(f->path);
    assert_true(accepted(s, alice));
    assert_true(accepted(s, bob));
    assert_true(accepted(s, carol));

    /* by name, by id */
    assert_int_equal(api_token_revoke(f->path, "bob", err, sizeof err), 0);
    assert_int_equal(api_token_revoke(f->path, ic.id, err, sizeof err), 0);
    api_token_info *v;
    size_t n;
    assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].id, ia.id);
    free(v);

    /* nothing matches: an error, and the file is unchanged */
    /* a copy of slurp's whole buffer: no fixed size for the file to outgrow */
    char *before = strdup(slurp(f->path));
    assert_non_null(before);
    err[0] = '\0';
    assert_int_equal(api_token_revoke(f->path, "bob", err, sizeof err), -1);
    assert_non_null(strstr(err, "bob"));
    assert_non_null(strstr(err, f->path));
    assert_int_equal(api_token_revoke(f->path, ic.id, err, sizeof err), -1);
    assert_int_equal(api_token_revoke(f->path, "", err, sizeof err), -1);
    assert_int_equal(api_token_revoke(f->path, NULL, err, sizeof err), -1);
    assert_string_equal(slurp(f->path), before);
    free(before);

    /* the store sees it within about a second */
    wait_reread();
    assert_false(accepted(s, bob));
    assert_false(accepted(s, carol));
    assert_true(accepted(s, alice));

    /* and sees a token created after it opened at once, not after the
     * once-a-second check: its id is unknown, so the file is looked at */
    char dave[API_TOKEN_MAX];
    create_ok(f->path, API_ROLE_OPERATOR, "", "dave", dave, NULL);
    assert_true(accepted(s, dave));
    /* a revocation waits for that check (a known id's check does not
     * look at the file) */
    assert_int_equal(api_token_revoke(f->path, "dave", err, sizeof err), 0);
    wait_reread();
    assert_false(accepted(s, dave));
    api_token_store_close(s);

    /* revoking from a file that does not exist */
    char missing[700];
    snprintf(missing, sizeof missing, "%s/none.json", f->dir);
    assert_int_equal(api_token_revoke(missing, "x", err, sizeof err), -1);
}

static void test_revoke_ambiguous(void **state) {
    fixture *f = *state;
    char t1[API_TOKEN_MAX], t2[API_TOKEN_MAX], err[512];
    api_token_info i1, i2;
    create_ok(f->path, API_ROLE_OPERATOR, "", "shift", t1, &i1);
    create_ok(f->path, API_ROLE_OPERATOR, "", "shift", t2, &i2);
    err[0] = '\0';
    assert_int_equal(api_token_revoke(f->path, "shift", err, sizeof err), -1);
    assert_non_null(strstr(err, "ambiguous"));
    assert_non_null(strstr(err, i1.id));
    assert_non_null(strstr(err, i2.id));
    assert_int_equal(list_count(f->path), 2);
    /* by id it works, and then the name is unique */
    assert_int_equal(api_token_revoke(f->path, i1.id, err, sizeof err), 0);
    assert_int_equal(api_token_revoke(f->path, "shift", err, sizeof err), 0);
    assert_int_equal(list_count(f->path), 0);

    /* a name that is another token's id is ambiguous too */
    create_ok(f->path, API_ROLE_OPERATOR, "", "x", t1, &i1);
    create_ok(f->path, API_ROLE_OPERATOR, "", i1.id, t2, &i2);
    assert_int_equal(api_token_revoke(f->path, i1.id, err, sizeof err), -1);
    assert_non_null(strstr(err, "ambiguous"));
    assert_int_equal(api_token_revoke(f->path, i2.id, err, sizeof err), 0);
    assert_int_equal(api_token_revoke(f->path, i1.id, err, sizeof err), 0);
    assert_int_equal(list_count(f->path), 0);

    /* many: the message stays bounded */
    for (int i = 0; i < 12; i++) create_ok(f->path, API_ROLE_OPERATOR, "", "many", t1, NULL);
    assert_int_equal(api_token_revoke(f->path, "many", err, sizeof err), -1);
    assert_non_null(strstr(err, "12 tokens"));
    assert_int_equal(list_count(f->path), 12);
}

/* ---- the store: missing and malformed files, rereads ---- */

static void test_missing_file(void **state) {
    fixture *f = *state;
    api_token_info *v = (api_token_info *)1;
    size_t n = 7;
    char err[256];
    assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_null(v);

    api_token_store *s = open_ok(f->path);
    assert_false(accepted(s, "pw_0123456789abcdef_0123456789abcdef0123456789abcdef0123456789abcdef"
                             "0123456789abcdef"));
    char tok[API_TOKEN_MAX];
    create_ok(f->path, API_ROLE_ADMIN, "", "first", tok, NULL);
    wait_reread();
    assert_true(accepted(s, tok));
    /* removing the file revokes everything */
    assert_int_equal(unlink(f->path), 0);
    wait_reread();
    assert_false(accepted(s, tok));
    api_token_store_close(s);
}

static void test_malformed_file(void **state) {
    fixture *f = *state;
    char tok[API_TOKEN_MAX], err[512];
    create_ok(f->path, API_ROLE_ADMIN, "", "a", tok, NULL);
    char *good = strdup(slurp(f->path));
    json_t *root = json_loads(good, 0, NULL);
    json_t *e = json_array_get(json_object_get(root, "tokens"), 0);
    char dup[4096];
    {
        json_t *twice = json_deep_copy(root);
        json_array_append(json_object_get(twice, "tokens"), e);
        char *t = json_dumps(twice, 0);
        snprintf(dup, sizeof dup, "%s", t);
        free(t);
        json_decref(twice);
    }
    struct {
        const char *text, *why;
    } bad[] = {
        {"", "line"},
        {"{\"version\":1,\"tokens\":[", "line"},
        {"[]", "not a JSON object"},
        {"{\"tokens\":[]}", "version"},
        {"{\"version\":2,\"tokens\":[]}", "version 2"},
        {"{\"version\":1}", "tokens"},
        {"{\"version\":1,\"version\":1,\"tokens\":[]}", "line"},
        {"{\"version\":1,\"tokens\":[7]}", "tokens[0]"},
        {"{\"version\":1,\"tokens\":[{\"id\":\"0123456789abcdef\",\"sha256\":\"00\",\"role\":"
         "\"admin\",\"enterprise\":\"\",\"name\":\"a\",\"created_ms\":1}]}",
         "sha256"},
        {"{\"version\":1,\"tokens\":[{\"id\":\"0123456789ABCDEF\",\"sha256\":\"" /* upper */
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"role\":\"admin\","
         "\"enterprise\":\"\",\"name\":\"a\",\"created_ms\":1}]}",
         "\"id\""},
        {"{\"version\":1,\"tokens\":[{\"id\":\"0123456789abcdef\",\"sha256\":\""
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"role\":\"root\","
         "\"enterprise\":\"\",\"name\":\"a\",\"created_ms\":1}]}",
         "role"},
        {"{\"version\":1,\"tokens\":[{\"id\":\"0123456789abcdef\",\"sha256\":\""
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"role\":"
         "\"enterprise\",\"enterprise\":\"\",\"name\":\"a\",\"created_ms\":1}]}",
         "enterprise"},
        {"{\"version\":1,\"tokens\":[{\"id\":\"0123456789abcdef\",\"sha256\":\""
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"role\":\"admin\","
         "\"enterprise\":\"\",\"name\":\"a\"}]}",
         "created_ms"},
#define EXPIRES_CASE(v)                                                                            \
    {"{\"version\":1,\"tokens\":[{\"id\":\"0123456789abcdef\",\"sha256\":\""                       \
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"role\":\"admin\","      \
     "\"enterprise\":\"\",\"name\":\"a\",\"created_ms\":1,\"expires_ms\":" v "}]}",                \
     "\"expires_ms\" is not a non-negative integer"}
        EXPIRES_CASE("-1"),
        EXPIRES_CASE("1.5e12"),
        EXPIRES_CASE("\"1767225600000\""),
        EXPIRES_CASE("null"),
        EXPIRES_CASE("true"),
#undef EXPIRES_CASE
        {dup, "more than once"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_raw(f->path, bad[i].text, 0600);
        api_token_store *s = (api_token_store *)1;
        err[0] = '\0';
        assert_int_equal(api_token_store_open(f->path, &s, err, sizeof err), -1);
        assert_null(s);
        if (!strstr(err, bad[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].why);
        assert_non_null(strstr(err, f->path));
        /* parkctl neither lists it nor writes over it */
        api_token_info *v;
        size_t n;
        assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), -1);
        assert_int_equal(
            api_token_create(f->path, API_ROLE_ADMIN, "", "b", 0, tok, NULL, err, sizeof err), -1);
        assert_string_equal(slurp(f->path), bad[i].text);
    }
    /* a directory is not a token file */
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(mkdir(f->path, 0700), 0);
    api_token_store *s;
    assert_int_equal(api_token_store_open(f->path, &s, err, sizeof err), -1);
    assert_int_equal(rmdir(f->path), 0);

    /* what the file may also hold: an entry without "enterprise", other members */
    json_object_del(e, "enterprise");
    json_object_set_new(e, "comment", json_string("added by hand"));
    char *t = json_dumps(root, 0);
    write_raw(f->path, t, 0600);
    free(t);
    assert_int_equal(list_count(f->path), 1);
    json_decref(root);
    free(good);
}

static void test_failed_reread_keeps_tokens(void **state) {
    fixture *f = *state;
    char tok[API_TOKEN_MAX], err[256];
    create_ok(f->path, API_ROLE_ADMIN, "", "keeper", tok, NULL);
    char *good = strdup(slurp(f->path));
    api_token_store *s = open_ok(f->path);
    assert_true(accepted(s, tok));

    write_raw(f->path, "{\"version\":1,\"tokens\":[", 0600); /* half-edited by hand */
    wait_reread();
    assert_true(accepted(s, tok));
    write_raw(f->path, good, 0644); /* fixed, but readable by all */
    wait_reread();
    assert_true(accepted(s, tok));
    assert_int_equal(chmod(f->path, 0600), 0); /* fixed: reread, with the same tokens */
    wait_reread();
    assert_true(accepted(s, tok));
    assert_int_equal(api_token_revoke(f->path, "keeper", err, sizeof err), 0);
    wait_reread();
    assert_false(accepted(s, tok));
    api_token_store_close(s);
    free(good);
}

/* ---- expiry ---- */

static void test_expiry(void **state) {
    fixture *f = *state;
    char never[API_TOKEN_MAX], later[API_TOKEN_MAX], soon[API_TOKEN_MAX], err[512];
    api_token_info in, il, is;
    int64_t t0 = now_ms();
    create_ok(f->path, API_ROLE_ADMIN, "", "never", never, &in);
    create_exp_ok(f->path, "later", t0 + 3600 * 1000, later, &il);
    create_exp_ok(f->path, "soon", t0 + 200, soon, &is);
    assert_int_equal(in.expires_ms, 0);
    assert_int_equal(il.expires_ms, t0 + 3600 * 1000);
    assert_int_equal(is.expires_ms, t0 + 200);

    /* listed as created; the file holds the member only for tokens that expire */
    api_token_info *v;
    size_t n;
    assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(&v[0], &in, sizeof in);
    assert_memory_equal(&v[1], &il, sizeof il);
    assert_memory_equal(&v[2], &is, sizeof is);
    free(v);
    json_t *root = json_loads(slurp(f->path), 0, NULL);
    json_t *arr = json_object_get(root, "tokens");
    assert_null(json_object_get(json_array_get(arr, 0), "expires_ms"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "expires_ms")),
                     il.expires_ms);
    json_decref(root);

    api_token_store *s = open_ok(f->path);
    api_token_info got;
    assert_int_equal(api_token_store_check(s, later, &got), 0);
    assert_int_equal(got.expires_ms, il.expires_ms);
    /* before its expiry, if this machine got here in time */
    int rc = api_token_store_check(s, soon, &got);
    if (now_ms() < is.expires_ms) assert_int_equal(rc, 0);
    sleep_ms(is.expires_ms - now_ms() + 20);
    /* expired: refused like an unknown token, *out cleared */
    memset(&got, 0x55, sizeof got);
    assert_int_equal(api_token_store_check(s, soon, &got), -1);
    assert_string_equal(got.id, "");
    assert_int_equal(got.expires_ms, 0);
    assert_true(accepted(s, never));
    assert_true(accepted(s, later));
    /* still listed (revoking it is the owner's business) */
    assert_int_equal(list_count(f->path), 3);
    api_token_store_close(s);
    /* and a store opened after it expired refuses it too */
    s = open_ok(f->path);
    assert_false(accepted(s, soon));
    assert_true(accepted(s, later));
    api_token_store_close(s);
}

static void test_expiry_refused_at_create(void **state) {
    fixture *f = *state;
    char tok[API_TOKEN_MAX], err[256];
    int64_t t = now_ms();
    const struct {
        int64_t at;
        const char *why;
    } bad[] = {{t - 1000, "in the past"}, {1, "in the past"}, {-1, "negative"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(api_token_create(f->path, API_ROLE_ADMIN, "", "x", bad[i].at, tok, NULL,
                                          err, sizeof err),
                         -1);
        if (!strstr(err, bad[i].why)) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].why);
        assert_non_null(strstr(err, f->path));
        assert_string_equal(tok, "");
    }
    assert_int_equal(access(f->path, F_OK), -1); /* nothing was written */
}

/* Files written before tokens could expire, and "expires_ms": 0, are tokens
 * that never expire. */
static void test_expiry_old_files(void **state) {
    fixture *f = *state;
    const char *tok = "pw_0123456789abcdef_00112233445566778899aabbccddeeff"
                      "00112233445566778899aabbccddeeff";
    const char *tok2 = "pw_fedcba9876543210_00112233445566778899aabbccddeeff"
                       "00112233445566778899aabbccddeeff";
    uint8_t d[32];
    char h1[65], h2[65], text[1024];
    pw_sha256(tok, strlen(tok), d);
    hex(d, 32, h1);
    pw_sha256(tok2, strlen(tok2), d);
    hex(d, 32, h2);
    int len = snprintf(text, sizeof text,
                       "{\"version\": 1, \"tokens\": [{\"id\": \"0123456789abcdef\", \"sha256\": "
                       "\"%s\", \"role\": \"operator\", \"enterprise\": \"\", \"name\": \"old\", "
                       "\"created_ms\": 1700000000000}, {\"id\": \"fedcba9876543210\", "
                       "\"sha256\": \"%s\", \"role\": \"admin\", \"enterprise\": \"\", \"name\": "
                       "\"zero\", \"created_ms\": 1700000000000, \"expires_ms\": 0}]}\n",
                       h1, h2);
    assert_true(len > 0 && (size_t)len < sizeof text);
    write_raw(f->path, text, 0600);

    api_token_info *v;
    size_t n;
    char err[256];
    assert_int_equal(api_token_list(f->path, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].expires_ms, 0);
    assert_int_equal(v[1].expires_ms, 0);
    free(v);
    api_token_store *s = open_ok(f->path);
    api_token_info got;
    assert_int_equal(api_token_store_check(s, tok, &got), 0);
    assert_string_equal(got.name, "old");
    assert_int_equal(got.expires_ms, 0);
    assert_true(accepted(s, tok2));
    assert_true(api_token_store_valid(s, "0123456789abcdef", INT64_MAX));
    api_token_store_close(s);

    /* rewriting it (a create) keeps the old entries as they were */
    char t3[API_TOKEN_MAX];
    create_ok(f->path, API_ROLE_OPERATOR, "", "new", t3, NULL);
    json_t *root = json_loads(slurp(f->path), 0, NULL);
    json_t *old = json_array_get(json_object_get(root, "tokens"), 0);
    assert_string_equal(json_string_value(json_object_get(old, "sha256")), h1);
    assert_null(json_object_get(old, "expires_ms"));
    json_decref(root);
}

static void test_valid(void **state) {
    fixture *f = *state;
    char a[API_TOKEN_MAX], b[API_TOKEN_MAX], c[API_TOKEN_MAX], err[256];
    api_token_info ia, ib, ic;
    int64_t t = now_ms();
    create_ok(f->path, API_ROLE_ADMIN, "", "a", a, &ia);
    create_exp_ok(f->path, "b", t + 3600 * 1000, b, &ib);
    create_ok(f->path, API_ROLE_OPERATOR, "", "c", c, &ic);
    api_token_store *s = open_ok(f->path);

    /* present; with an expiry, valid up to the millisecond before it */
    assert_true(api_token_store_valid(s, ia.id, t));
    assert_true(api_token_store_valid(s, ia.id, INT64_MAX));
    assert_true(api_token_store_valid(s, ib.id, t));
    assert_true(api_token_store_valid(s, ib.id, ib.expires_ms - 1));
    assert_false(api_token_store_valid(s, ib.id, ib.expires_ms));
    assert_false(api_token_store_valid(s, ib.id, INT64_MAX));
    assert_true(api_token_store_valid(s, ic.id, t));

    /* not an id of the store */
    assert_false(api_token_store_valid(s, "0000000000000000", t));
    assert_false(api_token_store_valid(s, "", t));
    assert_false(api_token_store_valid(s, NULL, t));
    assert_false(api_token_store_valid(NULL, ia.id, t));
    char longer[32], shorter[17];
    snprintf(longer, sizeof longer, "%s0", ia.id);
    memcpy(shorter, ia.id, 15);
    shorter[15] = '\0';
    assert_false(api_token_store_valid(s, longer, t));
    assert_false(api_token_store_valid(s, shorter, t));
    assert_false(api_token_store_valid(s, a, t)); /* the token is not its id */

    /* revoked: gone once the store has reread the file */
    assert_int_equal(api_token_revoke(f->path, ic.id, err, sizeof err), 0);
    wait_reread();
    assert_false(api_token_store_valid(s, ic.id, now_ms()));
    assert_true(api_token_store_valid(s, ia.id, now_ms()));
    assert_true(api_token_store_valid(s, ib.id, now_ms()));
    api_token_store_close(s);
}

/* ---- concurrency ---- */

typedef struct writer_arg {
    const char *path;
    int id;
    int fails;
} writer_arg;

static void *writer(void *p) {
    writer_arg *a = p;
    for (int i = 0; i < 5; i++) {
        char tok[API_TOKEN_MAX], name[64], err[256];
        snprintf(name, sizeof name, "w%d-%d", a->id, i);
        if (api_token_create(a->path, API_ROLE_OPERATOR, "", name, 0, tok, NULL, err, sizeof err))
            a->fails++;
    }
    return NULL;
}

typedef struct reader_arg {
    api_token_store *s;
    const char *token;
    atomic_int *stop;
    long ok, bad;
} reader_arg;

static void *reader(void *p) {
    reader_arg *a = p;
    while (!atomic_load(a->stop)) {
        api_token_info info;
        if (api_token_store_check(a->s, a->token, &info) == 0 && info.role == API_ROLE_ADMIN)
            a->ok++;
        else
            a->bad++;
    }
    return NULL;
}

/* Writers serialise on the lock file (no create is lost); readers check
 * while the file changes under them. */
static void test_concurrent(void **state) {
    fixture *f = *state;
    char root[API_TOKEN_MAX];
    create_ok(f->path, API_ROLE_ADMIN, "", "root", root, NULL);
    api_token_store *s = open_ok(f->path);
    atomic_int stop = 0;
    reader_arg ra[4];
    pthread_t rt[4], wt[4];
    writer_arg wa[4];
    for (int i = 0; i < 4; i++) {
        ra[i] = (reader_arg){s, root, &stop, 0, 0};
        assert_int_equal(pthread_create(&rt[i], NULL, reader, &ra[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        wa[i] = (writer_arg){f->path, i, 0};
        assert_int_equal(pthread_create(&wt[i], NULL, writer, &wa[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(wt[i], NULL);
        assert_int_equal(wa[i].fails, 0);
    }
    wait_reread(); /* the readers go through a reread */
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++) {
        pthread_join(rt[i], NULL);
        assert_int_equal(ra[i].bad, 0);
        assert_true(ra[i].ok > 0);
    }
    assert_int_equal(list_count(f->path), 21);
    api_token_store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_pieces),
        cmocka_unit_test(test_hmac_sha256_vectors),
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup_teardown(test_create_list_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_and_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readable_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoke_ambiguous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_reread_keeps_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_refused_at_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_old_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
