/*
 * tickets.c - one-use stream tickets. See tickets.h.
 */
#include "api/tickets.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define N_TICKETS 1024

typedef struct ticket {
    char text[API_TICKET_LEN + 1]; /* "" when free */
    int64_t expires_ms;
    api_token_info tok;
} ticket;

struct api_tickets {
    int64_t ttl_ms;
    pthread_mutex_t mu;
    ticket v[N_TICKETS];
};

api_tickets *api_tickets_open(int64_t ttl_ms) {
    api_tickets *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ttl_ms = ttl_ms > 0 ? ttl_ms : 60000;
    pthread_mutex_init(&t->mu, NULL);
    return t;
}

void api_tickets_close(api_tickets *t) {
    if (!t) return;
    pthread_mutex_destroy(&t->mu);
    free(t);
}

int api_ticket_issue(api_tickets *t, const api_token_info *tok, int64_t now_ms,
                     char out[API_TICKET_LEN + 1], int64_t *expires_ms) {
    unsigned char raw[API_TICKET_LEN / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) return -1;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[API_TICKET_LEN] = 0;
    pthread_mutex_lock(&t->mu);
    /* a free or expired slot, else the one closest to its end */
    size_t k = 0;
    for (size_t i = 0; i < N_TICKETS; i++) {
        if (!t->v[i].text[0] || t->v[i].expires_ms <= now_ms) {
            k = i;
            break;
        }
        if (t->v[i].expires_ms < t->v[k].expires_ms) k = i;
    }
    memcpy(t->v[k].text, out, API_TICKET_LEN + 1);
    t->v[k].expires_ms = now_ms + t->ttl_ms;
    t->v[k].tok = *tok;
    *expires_ms = t->v[k].expires_ms;
    pthread_mutex_unlock(&t->mu);
    return 0;
}

/* Compares all API_TICKET_LEN characters whatever differs first. */
static bool same_text(const char *a, const char *b) {
    unsigned char d = 0;
    for (size_t i = 0; i < API_TICKET_LEN; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

int api_ticket_redeem(api_tickets *t, const char *text, int64_t now_ms, api_token_info *tok) {
    if (!text || strlen(text) != API_TICKET_LEN) return -1;
    int rc = -1;
    pthread_mutex_lock(&t->mu);
    for (size_t i = 0; i < N_TICKETS; i++) {
        ticket *x = &t->v[i];
        if (!x->text[0] || !same_text(x->text, text)) continue;
        if (x->expires_ms > now_ms) {
            *tok = x->tok;
            rc = 0;
        }
        memset(x, 0, sizeof *x); /* spent, or expired: gone either way */
        break;
    }
    pthread_mutex_unlock(&t->mu);
    return rc;
}
