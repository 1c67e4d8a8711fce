/*
 * crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of the historian's WAL records and ingest's spool records: what
 * is on disk depends on it, so there is one implementation.
 *
 * Chains: pw_crc32c(pw_crc32c(0, a, na), b, nb) is the CRC of a then b.
 * The SSE 4.2 crc32 instruction is used when the CPU has it, a
 * slicing-by-8 table otherwise; both give the same bits.
 */
#ifndef PARKWATCH_COMMON_CRC32C_H
#define PARKWATCH_COMMON_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint32_t pw_crc32c(uint32_t crc, const void *p, size_t n);

/* The two paths on their own, for the tests that compare them. */
uint32_t pw_crc32c_table(uint32_t crc, const void *p, size_t n);
/* Whether pw_crc32c_hw may be called (x86-64 with SSE 4.2). */
bool pw_crc32c_hw_available(void);
uint32_t pw_crc32c_hw(uint32_t crc, const void *p, size_t n);

#endif
