/*
 * tickets.h - short-lived stream tickets (internal to api/).
 *
 * A browser's EventSource cannot set headers, and a token in a URL lands in
 * proxies' and servers' access logs. So a client first asks, with its
 * token in the Authorization header, for a ticket (POST
 * /api/v1/stream-tickets), then opens the stream with ?ticket=. A ticket
 * is 128 random bits, is good for one stream only, within ttl_ms, and acts
 * as the token that asked for it (whose revocation still ends the stream).
 * What a log keeps of it is spent.
 *
 * Threads: every function is thread-safe (one mutex). The table is fixed
 * in size: when full, the oldest ticket makes room.
 */
#ifndef PARKWATCH_API_TICKETS_H
#define PARKWATCH_API_TICKETS_H

#include "api/api.h"

#define API_TICKET_LEN 32 /* hex digits */

typedef struct api_tickets api_tickets;

api_tickets *api_tickets_open(int64_t ttl_ms);
void api_tickets_close(api_tickets *t);

/* A new ticket for tok into out (API_TICKET_LEN + 1 bytes); *expires_ms
 * is its wall-clock end. 0, or -1 when no randomness could be had. */
int api_ticket_issue(api_tickets *t, const api_token_info *tok, int64_t now_ms,
                     char out[API_TICKET_LEN + 1], int64_t *expires_ms);

/* Spends a ticket: 0 and *tok filled when it was good (it is then gone),
 * -1 otherwise (unknown, spent or expired). Constant time in the text. */
int api_ticket_redeem(api_tickets *t, const char *ticket, int64_t now_ms, api_token_info *tok);

#endif
