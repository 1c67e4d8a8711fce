/*
 * slowdisk.c - a slow disk for tests, without root or kernel modules: an
 * LD_PRELOAD library that delays the writes and syncs a process makes to
 * files under one directory. Built as libslowdisk.so (tests/CMakeLists.txt).
 *
 *   PARKWATCH_SLOWDISK_DIR       the directory (and everything under it)
 *   PARKWATCH_SLOWDISK_SYNC_MS   delay of fsync, fdatasync, sync_file_range,
 *                                syncfs (regular files and directories)
 *   PARKWATCH_SLOWDISK_WRITE_MS  delay of write, pwrite, writev, pwritev
 *                                (regular files only)
 *   PARKWATCH_SLOWDISK_CTL       a control file, read at most every 100 ms:
 *                                "on" applies the two delays above, "off"
 *                                (or no file) none, "sync_ms=N write_ms=M"
 *                                those. Without PARKWATCH_SLOWDISK_CTL the
 *                                delays always apply.
 *   PARKWATCH_SLOWDISK_STATS     a file the library rewrites (at most every
 *                                second, when they changed, and at exit)
 *                                with its counts:
 *                                "syncs N writes N sync_ms N write_ms N"
 *                                (calls delayed, milliseconds slept)
 *
 * Sockets, pipes and files elsewhere pass straight through (one fstat). A
 * file descriptor's path is resolved through /proc/self/fd once and cached
 * per descriptor with the file's device and inode, so a reused number is
 * resolved again. The delay comes before the real call. stdio's own
 * buffered writes go through glibc's internal write and are not delayed;
 * fflush + fsync on such a file is (the sync).
 *
 * Only libc and libdl; no allocation, nothing that could call back into
 * the functions wrapped here (the control and stats files live outside
 * the slow directory, and are read and written with the real calls).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define FD_CACHE        65536
#define CTL_PERIOD_NS   100000000LL  /* the control file, read at most every 100 ms */
#define STATS_PERIOD_NS 1000000000LL /* the counts, written at most every second */

enum { KIND_OTHER = 1, KIND_SLOW_FILE = 2, KIND_SLOW_DIR = 3 };

static char slow_dir[PATH_MAX];
static size_t slow_len;
static const char *ctl_path, *stats_path;
static int env_sync_ms, env_write_ms;
static atomic_int cur_sync_ms, cur_write_ms;
static atomic_llong next_check_ns;
static long long next_stats_ns; /* under checking */
static atomic_flag checking = ATOMIC_FLAG_INIT;
static atomic_ullong n_syncs, n_writes, ms_syncs, ms_writes, stats_written = ~0ULL;
/* Per descriptor: a hash of (device, inode) in the high bits, the kind in the low two. */
static _Atomic uint64_t fd_cache[FD_CACHE];

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off64_t);
static ssize_t (*real_pwritev2)(int, const struct iovec *, int, off_t, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_sync_file_range)(int, off64_t, off64_t, unsigned int);
static int (*real_syncfs)(int);

static void *next_sym(const char *name) {
    return dlsym(RTLD_NEXT, name);
}

/* The real function, also when called before our constructor ran (another
 * library's constructor writing). */
#define RESOLVE(fn)                                                                                \
    do {                                                                                           \
        if (!real_##fn) real_##fn = next_sym(#fn);                                                 \
    } while (0)

static int env_int(const char *name) {
    const char *v = getenv(name);
    return v ? atoi(v) : 0;
}

__attribute__((constructor)) static void slowdisk_init(void) {
    real_write = next_sym("write");
    real_pwrite = next_sym("pwrite");
    real_pwrite64 = next_sym("pwrite64");
    real_writev = next_sym("writev");
    real_pwritev = next_sym("pwritev");
    real_pwritev64 = next_sym("pwritev64");
    real_pwritev2 = next_sym("pwritev2");
    real_fsync = next_sym("fsync");
    real_fdatasync = next_sym("fdatasync");
    real_sync_file_range = next_sym("sync_file_range");
    real_syncfs = next_sym("syncfs");
    const char *dir = getenv("PARKWATCH_SLOWDISK_DIR");
    if (dir && *dir) {
        /* /proc/self/fd shows canonical paths. */
        if (!realpath(dir, slow_dir)) snprintf(slow_dir, sizeof slow_dir, "%s", dir);
        slow_len = strlen(slow_dir);
        while (slow_len > 1 && slow_dir[slow_len - 1] == '/') slow_dir[--slow_len] = 0;
    }
    env_sync_ms = env_int("PARKWATCH_SLOWDISK_SYNC_MS");
    env_write_ms = env_int("PARKWATCH_SLOWDISK_WRITE_MS");
    ctl_path = getenv("PARKWATCH_SLOWDISK_CTL");
    if (ctl_path && !*ctl_path) ctl_path = NULL;
    stats_path = getenv("PARKWATCH_SLOWDISK_STATS");
    if (stats_path && !*stats_path) stats_path = NULL;
    atomic_store(&cur_sync_ms, ctl_path ? 0 : env_sync_ms);
    atomic_store(&cur_write_ms, ctl_path ? 0 : env_write_ms);
}

static long long mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void read_control(void) {
    char buf[128];
    ssize_t n = -1;
    int fd = open(ctl_path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
    }
    int sync_ms = 0, write_ms = 0;
    if (n > 0) {
        buf[n] = 0;
        const char *s = strstr(buf, "sync_ms="), *w = strstr(buf, "write_ms=");
        if (!strncmp(buf, "on", 2)) sync_ms = env_sync_ms, write_ms = env_write_ms;
        if (s) sync_ms = atoi(s + 8);
        if (w) write_ms = atoi(w + 9);
    }
    atomic_store(&cur_sync_ms, sync_ms);
    atomic_store(&cur_write_ms, write_ms);
}

static void write_stats(void) {
    unsigned long long s = atomic_load(&n_syncs), w = atomic_load(&n_writes);
    unsigned long long sm = atomic_load(&ms_syncs), wm = atomic_load(&ms_writes);
    unsigned long long sum = s + w + sm + wm; /* each only grows */
    if (sum == atomic_load(&stats_written)) return;
    char line[160];
    int len = snprintf(line, sizeof line, "syncs %llu writes %llu sync_ms %llu write_ms %llu\n", s,
                       w, sm, wm);
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", stats_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return;
    RESOLVE(write);
    bool ok = real_write(fd, line, (size_t)len) == len;
    close(fd);
    if (ok && rename(tmp, stats_path) == 0) atomic_store(&stats_written, sum);
}

/* The control file at most every 100 ms, the counts at most every second,
 * by whichever thread comes first. */
static void maybe_refresh(void) {
    long long now = mono_ns();
    if (now < atomic_load_explicit(&next_check_ns, memory_order_relaxed)) return;
    if (atomic_flag_test_and_set(&checking)) return;
    atomic_store(&next_check_ns, now + CTL_PERIOD_NS);
    int saved = errno;
    if (ctl_path) read_control();
    if (stats_path && now >= next_stats_ns) {
        next_stats_ns = now + STATS_PERIOD_NS;
        write_stats();
    }
    errno = saved;
    atomic_flag_clear(&checking);
}

/* The last counts, at exit. */
__attribute__((destructor)) static void slowdisk_fini(void) {
    if (stats_path && !atomic_flag_test_and_set(&checking)) write_stats();
}

static uint64_t file_key(const struct stat *sb) {
    uint64_t h = (uint64_t)sb->st_dev * 0x9E3779B97F4A7C15ULL ^ (uint64_t)sb->st_ino;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return (h ^ (h >> 32)) << 2;
}

/* What fd is: a regular file or directory under the slow directory, or not. */
static int fd_kind(int fd) {
    if (!slow_len || fd < 0) return KIND_OTHER;
    struct stat sb;
    if (fstat(fd, &sb) != 0) return KIND_OTHER;
    bool file = S_ISREG(sb.st_mode), dir = S_ISDIR(sb.st_mode);
    if (!file && !dir) return KIND_OTHER;
    uint64_t key = file_key(&sb);
    if (fd < FD_CACHE) {
        uint64_t c = atomic_load_explicit(&fd_cache[fd], memory_order_relaxed);
        if (c && (c & ~(uint64_t)3) == key) return (int)(c & 3);
    }
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    int kind = KIND_OTHER;
    if (n > 0) {
        path[n] = 0;
        if ((size_t)n >= slow_len && !strncmp(path, slow_dir, slow_len) &&
            (path[slow_len] == '/' || path[slow_len] == 0 || slow_len == 1))
            kind = file ? KIND_SLOW_FILE : KIND_SLOW_DIR;
    }
    if (fd < FD_CACHE)
        atomic_store_explicit(&fd_cache[fd], key | (uint64_t)kind, memory_order_relaxed);
    return kind;
}

static void nap_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

static void delay_write(int fd) {
    if (!slow_len) return;
    int saved = errno;
    maybe_refresh();
    int ms = atomic_load(&cur_write_ms);
    if (ms > 0 && fd_kind(fd) == KIND_SLOW_FILE) {
        nap_ms(ms);
        atomic_fetch_add(&n_writes, 1);
        atomic_fetch_add(&ms_writes, (unsigned long long)ms);
    }
    errno = saved;
}

static void delay_sync(int fd) {
    if (!slow_len) return;
    int saved = errno;
    maybe_refresh();
    int ms = atomic_load(&cur_sync_ms);
    if (ms > 0 && fd_kind(fd) != KIND_OTHER) {
        nap_ms(ms);
        atomic_fetch_add(&n_syncs, 1);
        atomic_fetch_add(&ms_syncs, (unsigned long long)ms);
    }
    errno = saved;
}

ssize_t write(int fd, const void *buf, size_t n) {
    delay_write(fd);
    RESOLVE(write);
    return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    delay_write(fd);
    RESOLVE(pwrite);
    return real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
    delay_write(fd);
    RESOLVE(pwrite64);
    return real_pwrite64(fd, buf, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    delay_write(fd);
    RESOLVE(writev);
    return real_writev(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
    delay_write(fd);
    RESOLVE(pwritev);
    return real_pwritev(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
    delay_write(fd);
    RESOLVE(pwritev64);
    return real_pwritev64(fd, iov, cnt, off);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags) {
    delay_write(fd);
    RESOLVE(pwritev2);
    return real_pwritev2(fd, iov, cnt, off, flags);
}

int fsync(int fd) {
    delay_sync(fd);
    RESOLVE(fsync);
    return real_fsync(fd);
}

int fdatasync(int fd) {
    delay_sync(fd);
    RESOLVE(fdatasync);
    return real_fdatasync(fd);
}

int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
    delay_sync(fd);
    RESOLVE(sync_file_range);
    return real_sync_file_range(fd, off, n, flags);
}

int syncfs(int fd) {
    delay_sync(fd);
    RESOLVE(syncfs);
    return real_syncfs(fd);
}
