/*
 * fsutil.c - copying a checkpoint's files (fsutil.h).
 */
#include "common/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errmsg.h"

/* Copies from to a new file to (never over an existing one) and syncs it.
 * 0, or -1 with a message in err. */
int fs_copy_file(const char *from, const char *to, char *err, size_t errcap) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        pw_errf(err, errcap, "cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        pw_errf(err, errcap, "cannot create %s: %s", to, strerror(errno));
        close(in);
        return -1;
    }
    int rc = 0;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            pw_errf(err, errcap, "cannot read %s: %s", from, strerror(errno));
            rc = -1;
            break;
        }
        for (ssize_t off = 0; rc == 0 && off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                pw_errf(err, errcap, "cannot write %s: %s", to, strerror(errno));
                rc = -1;
            } else {
                off += w;
            }
        }
        if (rc != 0) break;
    }
    if (rc == 0 && fsync(out) != 0) {
        pw_errf(err, errcap, "cannot sync %s: %s", to, strerror(errno));
        rc = -1;
    }
    close(in);
    close(out);
    return rc;
}

/* Copies every regular file of from_dir into to_dir (which exists). 0, or
 * -1 with a message in err. */
int fs_copy_files(const char *from_dir, const char *to_dir, char *err, size_t errcap) {
    DIR *d = opendir(from_dir);
    if (!d) {
        pw_errf(err, errcap, "cannot read %s: %s", from_dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        char from[4096 + 256 + 2], to[4096 + 256 + 2];
        struct stat sb;
        snprintf(from, sizeof from, "%s/%s", from_dir, e->d_name);
        if (stat(from, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        snprintf(to, sizeof to, "%s/%s", to_dir, e->d_name);
        rc = fs_copy_file(from, to, err, errcap);
    }
    closedir(d);
    return rc;
}
