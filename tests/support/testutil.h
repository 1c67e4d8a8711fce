/*
 * testutil.h - small helpers shared by the tests: temporary directories and
 * a deterministic random generator (so a failing case can be replayed).
 */
#ifndef PARKWATCH_TESTUTIL_H
#define PARKWATCH_TESTUTIL_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int testutil_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes a directory tree; missing is fine. */
static inline void testutil_rmtree(const char *dir) {
    nftw(dir, testutil_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Creates a fresh directory under $PARKWATCH_TMP (or /tmp) into out. */
static inline void testutil_tmpdir(char *out, size_t cap, const char *tag) {
    const char *base = getenv("PARKWATCH_TMP");
    if (!base || !*base) base = "/tmp";
    mkdir(base, 0755);
    snprintf(out, cap, "%s/%s-XXXXXX", base, tag);
    if (!mkdtemp(out)) {
        perror("mkdtemp");
        abort();
    }
}

/* xorshift64*: deterministic across platforms. */
static inline uint64_t testutil_rand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static inline double testutil_uniform(uint64_t *s) {
    return (double)(testutil_rand(s) >> 11) / 9007199254740992.0;
}

#endif
