/*
 * tmpfs.h - a small filesystem a test can fill up: a tmpfs mounted on a
 * test directory (root only, as in CI). Mounts are taken down at exit even
 * when an assertion failed (cmocka returns from the test; main returns).
 * Header-only.
 */
#ifndef PARKWATCH_TEST_TMPFS_H
#define PARKWATCH_TEST_TMPFS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "tests/support/testutil.h"

#define TMPFS_MAX 4
static char tmpfs_mounts[TMPFS_MAX][600];

static inline void tmpfs_unmount_all(void) {
    for (int i = 0; i < TMPFS_MAX; i++)
        if (tmpfs_mounts[i][0]) umount2(tmpfs_mounts[i], MNT_DETACH), tmpfs_mounts[i][0] = 0;
}

/* Mounts a tmpfs with opts ("size=24m,mode=0700") on dir; 0 or -1 (errno). */
static inline int tmpfs_mount(const char *dir, const char *opts) {
    static bool registered;
    if (!registered) atexit(tmpfs_unmount_all), registered = true;
    if (mount("parkwatch-test", dir, "tmpfs", 0, opts) != 0) return -1;
    for (int i = 0; i < TMPFS_MAX; i++)
        if (!tmpfs_mounts[i][0]) {
            snprintf(tmpfs_mounts[i], sizeof tmpfs_mounts[i], "%s", dir);
            break;
        }
    return 0;
}

static inline int tmpfs_unmount(const char *dir) {
    for (int i = 0; i < TMPFS_MAX; i++)
        if (!strcmp(tmpfs_mounts[i], dir)) tmpfs_mounts[i][0] = 0;
    return umount2(dir, MNT_DETACH);
}

/* Whether this process may mount one; says why not on stderr. */
static inline bool tmpfs_allowed(const char *test) {
    char probe[512];
    testutil_tmpdir(probe, sizeof probe, "tmpfs-probe");
    bool ok = tmpfs_mount(probe, "size=1m") == 0;
    int why = errno;
    if (ok) tmpfs_unmount(probe);
    testutil_rmtree(probe);
    if (!ok) fprintf(stderr, "%s: cannot mount a tmpfs (%s): skipped\n", test, strerror(why));
    return ok;
}

/* Free bytes of dir's filesystem. */
static inline uint64_t tmpfs_free_bytes(const char *dir) {
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return 0;
    return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Fills dir's filesystem through fd but for keep bytes. Background writers
 * (RocksDB's threads) may take some space meanwhile, so it measures again
 * if a try asks for more than there is. 0, or -1 when it could not. */
static inline int tmpfs_fill_but(const char *dir, int fd, uint64_t keep) {
    for (int i = 0; i < 20; i++) {
        uint64_t room = tmpfs_free_bytes(dir);
        if (room <= keep) return 0;
        if (posix_fallocate(fd, lseek(fd, 0, SEEK_END), (off_t)(room - keep)) == 0) return 0;
    }
    return -1;
}

#endif
