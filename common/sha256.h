/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104): the token
 * file stores the SHA-256 of each token instead of the token; attachments
 * are named by their content's hash; robots' webhooks are signed with the
 * HMAC. Pure functions; any thread.
 */
#ifndef PARKWATCH_COMMON_SHA256_H
#define PARKWATCH_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define PW_SHA256_LEN 32

typedef struct pw_sha256_ctx {
    uint32_t h[8];
    uint64_t bytes; /* message length so far */
    uint8_t buf[64];
    size_t nbuf;
} pw_sha256_ctx;

void pw_sha256_init(pw_sha256_ctx *c);
void pw_sha256_update(pw_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest and wipes the context. */
void pw_sha256_final(pw_sha256_ctx *c, uint8_t out[PW_SHA256_LEN]);

/* One-shot. */
void pw_sha256(const void *data, size_t len, uint8_t out[PW_SHA256_LEN]);

/* HMAC-SHA256 of msg under key (any length). */
void pw_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[PW_SHA256_LEN]);

#endif
