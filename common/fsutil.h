/*
 * fsutil.h - copying a RocksDB checkpoint's files, for the restores of
 * historian/ and alerting/ (both copy a backup directory's regular files
 * into a fresh one).
 */
#ifndef PARKWATCH_FSUTIL_H
#define PARKWATCH_FSUTIL_H

#include <stddef.h>

/* Copies from to a new file to (never over an existing one) and syncs it.
 * 0, or -1 with a message in err. */
int fs_copy_file(const char *from, const char *to, char *err, size_t errcap);

/* Copies every regular file of from_dir into to_dir (which exists). 0, or
 * -1 with a message in err. */
int fs_copy_files(const char *from_dir, const char *to_dir, char *err, size_t errcap);

#endif
