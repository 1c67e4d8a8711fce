/*
 * channel.c - one worker thread and one bounded queue per channel, so a
 * gateway that is down holds only its own messages. The worker sends the
 * head of its queue with libcurl (HTTP(S) for the SMS gateway, the robots
 * and webhooks; SMTP(S) with STARTTLS for mail: libcurl already speaks
 * both, with TLS, and a hand-written SMTP client would be one more thing
 * to get wrong) or through the caller's MQTT publish callback. A failure
 * leaves the message at the head and waits (retry_min_ms doubling to
 * retry_max_ms); every attempt goes to the journal. Bodies are built here:
 * the SMS template's placeholders escaped for its content type, WeCom
 * markdown cut at 4096 bytes on a UTF-8 boundary, DingTalk markdown with
 * at.atMobiles and, with a secret, the URL signed (timestamp + "\n" +
 * secret, HMAC-SHA256, Base64, URL-encoded).
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errmsg.h"
#include "common/sha256.h"
#include "common/textbuf.h"
#include "notify/internal.h"

/* ---- escaping ---- */

static void put_json_str(textbuf *b, const char *s) {
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    tb_str(b, t ? t : "\"\"");
    free(t);
    json_decref(j);
}

static void put_urlenc(textbuf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p)) {
            char c = (char)*p;
            tb_put(b, &c, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            tb_put(b, e, 3);
        }
    }
}

static void put_base64(textbuf *b, const uint8_t *in, size_t n) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        char o[4] = {t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=',
                     i + 2 < n ? t[v & 63] : '='};
        tb_put(b, o, 4);
    }
}

enum { ESC_RAW, ESC_JSON, ESC_URL };

/* The template with {phone} {text} {title} {priority} {enterprise} {rule}
 * replaced, each escaped as esc says. */
static void fill_template(textbuf *b, const char *tmpl, int esc, const nt_msg *m,
                          const char *phone) {
    char prio[8], rule[16];
    snprintf(prio, sizeof prio, "%d", m->priority);
    snprintf(rule, sizeof rule, "%u", m->rule);
    char text[1200];
    snprintf(text, sizeof text, "%s %s", m->title, m->text);
    for (const char *p = tmpl; *p;) {
        const char *val = NULL;
        size_t skip = 0;
        static const char *keys[] = {"{phone}",    "{text}",       "{title}",
                                     "{priority}", "{enterprise}", "{rule}"};
        const char *vals[] = {phone, text, m->title, prio, m->enterprise, rule};
        for (size_t k = 0; k < 6 && !val; k++)
            if (!strncmp(p, keys[k], strlen(keys[k]))) val = vals[k], skip = strlen(keys[k]);
        if (!val) {
            tb_put(b, p++, 1);
            continue;
        }
        if (esc == ESC_JSON) { /* inside the template's quotes: the escaped text only */
            textbuf q = {0};
            put_json_str(&q, val);
            if (q.n >= 2) tb_put(b, q.p + 1, q.n - 2);
            free(q.p);
        } else if (esc == ESC_URL)
            put_urlenc(b, val);
        else
            tb_str(b, val);
        p += skip;
    }
}

/* Cuts s to at most max bytes, not inside a UTF-8 sequence. */
static void utf8_cut(char *s, size_t max) {
    size_t n = strlen(s);
    if (n <= max) return;
    while (max && ((unsigned char)s[max] & 0xC0) == 0x80) max--;
    s[max] = 0;
}

/* ---- one attempt ---- */

typedef struct attempt {
    int status;
    char receipt[64], detail[128], recipient[256];
} attempt;

static size_t collect(char *p, size_t sz, size_t nm, void *ud) {
    textbuf *b = ud;
    if (b->n < 8192) tb_put(b, p, sz * nm);
    return sz * nm;
}

/* An HTTP request; 0 when 2xx (and, for the robots, errcode 0). */
static int http_send(nt_channel *ch, const char *url, const char *method, const char *ctype,
                     const char *body, attempt *a) {
    CURL *c = curl_easy_init();
    if (!c) return snprintf(a->detail, sizeof a->detail, "curl: cannot start"), -1;
    textbuf resp = {0};
    struct curl_slist *h = NULL;
    char ct[160];
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
    h = curl_slist_append(h, ct);
    for (size_t i = 0; i < ch->n_headers; i++) h = curl_slist_append(h, ch->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    if (strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    a->status = (int)status;
    int ok = -1;
    if (rc != CURLE_OK)
        snprintf(a->detail, sizeof a->detail, "%s", curl_easy_strerror(rc));
    else if (status < 200 || status > 299)
        snprintf(a->detail, sizeof a->detail, "HTTP %ld", status);
    else {
        ok = 0;
        json_t *j = resp.p ? json_loads(resp.p, 0, NULL) : NULL;
        json_t *ec = json_object_get(j, "errcode");
        if ((ch->type == NT_WECOM || ch->type == NT_DINGTALK) && json_integer_value(ec) != 0) {
            const char *em = json_string_value(json_object_get(j, "errmsg"));
            snprintf(a->detail, sizeof a->detail, "errcode %lld: %s",
                     (long long)json_integer_value(ec), em ? em : "");
            ok = -1;
        }
        json_t *rid = json_object_get(j, ch->receipt_field ? ch->receipt_field : "msgid");
        if (json_is_string(rid))
            snprintf(a->receipt, sizeof a->receipt, "%s", json_string_value(rid));
        else if (json_is_integer(rid))
            snprintf(a->receipt, sizeof a->receipt, "%lld", (long long)json_integer_value(rid));
        json_decref(j);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(resp.p);
    return ok;
}

typedef struct upload {
    const char *p;
    size_t left;
} upload;

static size_t feed(char *out, size_t sz, size_t nm, void *ud) {
    upload *u = ud;
    size_t n = sz * nm < u->left ? sz * nm : u->left;
    memcpy(out, u->p, n);
    u->p += n, u->left -= n;
    return n;
}

static int smtp_send(nt_channel *ch, const nt_msg *m, attempt *a) {
    struct curl_slist *rcpt = NULL;
    textbuf to = {0}, mail = {0};
    for (size_t i = 0; i < m->n_to; i++)
        if (m->to[i]->email[0]) {
            char addr[140];
            snprintf(addr, sizeof addr, "<%s>", m->to[i]->email);
            rcpt = curl_slist_append(rcpt, addr);
            tb_printf(&to, "%s%s", to.n ? ", " : "", m->to[i]->email);
        }
    if (!rcpt) return 1; /* nobody with an email */
    snprintf(a->recipient, sizeof a->recipient, "%s", to.p);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    tb_printf(&mail, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?", date, ch->from, to.p);
    put_base64(&mail, (const uint8_t *)m->title, strlen(m->title)); /* RFC 2047 */
    tb_printf(&mail,
              "?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n\r\n%s\r\n",
              m->title, m->text);
    CURL *c = curl_easy_init();
    int ok = -1;
    if (c) {
        upload u = {mail.p, mail.n};
        char from[140];
        snprintf(from, sizeof from, "<%s>", ch->from);
        curl_easy_setopt(c, CURLOPT_URL, ch->url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms);
        curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, feed);
        curl_easy_setopt(c, CURLOPT_READDATA, &u);
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        if (ch->user) curl_easy_setopt(c, CURLOPT_USERNAME, ch->user);
        if (ch->password) curl_easy_setopt(c, CURLOPT_PASSWORD, ch->password);
        if (ch->starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        a->status = (int)code;
        if (rc == CURLE_OK)
            ok = 0;
        else
            snprintf(a->detail, sizeof a->detail, "%s", curl_easy_strerror(rc));
        curl_easy_cleanup(c);
    }
    curl_slist_free_all(rcpt);
    free(to.p), free(mail.p);
    return ok;
}

/* The JSON every webhook and MQTT message carries. */
static char *plain_json(const nt_msg *m) {
    json_t *ids = json_array();
    for (size_t i = 0; i < m->n_to; i++) json_array_append_new(ids, json_string(m->to[i]->id));
    json_t *o = json_pack("{s:I,s:I,s:i,s:i,s:i,s:b,s:s,s:s,s:s,s:o}", "rule", (json_int_t)m->rule,
                          "seq", (json_int_t)m->seq, "step", m->step, "alarms", (int)m->alarms,
                          "priority", m->priority, "summary", m->step < 0, "enterprise",
                          m->enterprise, "title", m->title, "text", m->text, "recipients", ids);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* 0 sent, 1 nobody to send to, -1 failed. */
static int send_one(nt_channel *ch, const nt_msg *m, const char *phone, attempt *a) {
    textbuf b = {0}, u = {0};
    int rc = -1;
    switch (ch->type) {
        case NT_SMS: {
            snprintf(a->recipient, sizeof a->recipient, "%s", phone ? phone : "");
            if (!phone) return 1;
            const char *ct = ch->content_type;
            int esc = strstr(ct, "json") ? ESC_JSON : strstr(ct, "urlencoded") ? ESC_URL : ESC_RAW;
            if (ch->body) fill_template(&b, ch->body, esc, m, phone);
            fill_template(&u, ch->url, ESC_URL, m, phone);
            rc = b.oom || u.oom ? -1 : http_send(ch, u.p, ch->method, ct, b.p, a);
            break;
        }
        case NT_SMTP:
            rc = smtp_send(ch, m, a);
            break;
        case NT_WECOM: {
            textbuf content = {0};
            tb_printf(&content, ch->markdown ? "### %s\n> %s\n" : "%s\n%s", m->title, m->text);
            json_t *mention = json_array();
            for (size_t i = 0; i < m->n_to; i++)
                if (m->to[i]->wecom_userid[0]) {
                    if (ch->markdown) tb_printf(&content, "<@%s>", m->to[i]->wecom_userid);
                    json_array_append_new(mention, json_string(m->to[i]->wecom_userid));
                    tb_printf(&u, "%s%s", u.n ? "," : "", m->to[i]->wecom_userid);
                }
            snprintf(a->recipient, sizeof a->recipient, "%s", u.p ? u.p : "(group)");
            if (content.p) utf8_cut(content.p, ch->markdown ? 4096 : 2048); /* the robot's limits */
            json_t *o = ch->markdown
                            ? json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown",
                                        "content", content.p ? content.p : "")
                            : json_pack("{s:s,s:{s:s,s:O}}", "msgtype", "text", "text", "content",
                                        content.p ? content.p : "", "mentioned_list", mention);
            json_decref(mention);
            free(content.p);
            char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
            json_decref(o);
            rc = s ? http_send(ch, ch->url, "POST", "application/json", s, a) : -1;
            free(s);
            break;
        }
        case NT_DINGTALK: {
            textbuf text = {0}, ats = {0};
            tb_printf(&text, "### %s\n> %s\n", m->title, m->text);
            json_t *mob = json_array();
            for (size_t i = 0; i < m->n_to; i++)
                if (m->to[i]->dingtalk_mobile[0]) {
                    tb_printf(&text, " @%s", m->to[i]->dingtalk_mobile);
                    json_array_append_new(mob, json_string(m->to[i]->dingtalk_mobile));
                    tb_printf(&ats, "%s%s", ats.n ? "," : "", m->to[i]->dingtalk_mobile);
                }
            snprintf(a->recipient, sizeof a->recipient, "%s", ats.p ? ats.p : "(group)");
            json_t *o = json_pack("{s:s,s:{s:s,s:s},s:{s:o,s:b}}", "msgtype", "markdown",
                                  "markdown", "title", m->title, "text", text.p ? text.p : "", "at",
                                  "atMobiles", mob, "isAtAll", 0);
            char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
            json_decref(o);
            free(text.p), free(ats.p);
            tb_str(&u, ch->url);
            if (ch->secret) { /* 加签: docs/reference/notification.md */
                char ts[24];
                snprintf(ts, sizeof ts, "%lld", (long long)pw_wall_ms());
                textbuf sig = {0}, b64 = {0};
                tb_printf(&sig, "%s\n%s", ts, ch->secret);
                uint8_t mac[PW_SHA256_LEN];
                pw_hmac_sha256(ch->secret, strlen(ch->secret), sig.p, sig.n, mac);
                put_base64(&b64, mac, sizeof mac);
                tb_printf(&u, "%stimestamp=%s&sign=", strchr(ch->url, '?') ? "&" : "?", ts);
                put_urlenc(&u, b64.p);
                free(sig.p), free(b64.p);
            }
            rc = s && !u.oom ? http_send(ch, u.p, "POST", "application/json", s, a) : -1;
            free(s);
            break;
        }
        case NT_WEBHOOK: {
            char *s = plain_json(m);
            snprintf(a->recipient, sizeof a->recipient, "%s", ch->url);
            rc = s ? http_send(ch, ch->url, "POST", "application/json", s, a) : -1;
            free(s);
            break;
        }
        case NT_MQTT: {
            void *ctx;
            notify_publish_fn pub = nt_publish_of(ch->owner, &ctx);
            char *s = plain_json(m);
            /* {enterprise} in the topic: the alarm's, PARK for the park's */
            const char *at = strstr(ch->topic, "{enterprise}");
            if (at)
                tb_printf(&u, "%.*s%s%s", (int)(at - ch->topic), ch->topic,
                          m->enterprise[0] ? m->enterprise : "PARK", at + 12);
            else
                tb_str(&u, ch->topic);
            snprintf(a->recipient, sizeof a->recipient, "%s", u.p ? u.p : "");
            if (!pub) snprintf(a->detail, sizeof a->detail, "no MQTT publisher");
            rc = s && pub && u.p && pub(ctx, u.p, s, strlen(s)) == 0 ? 0 : -1;
            if (rc && pub) snprintf(a->detail, sizeof a->detail, "publish refused");
            free(s);
            break;
        }
    }
    free(b.p), free(u.p);
    return rc;
}

/* ---- the worker ---- */

static void journal(nt_channel *ch, const nt_msg *m, const attempt *a, const char *result) {
    notify_delivery d = {.ts_ms = pw_wall_ms(),
                         .rule = m->rule,
                         .seq = m->seq,
                         .step = m->step,
                         .alarms = m->alarms,
                         .status = a->status,
                         .attempt = m->attempt,
                         .due_ms = m->due_ms};
    snprintf(d.channel, sizeof d.channel, "%s", ch->name);
    snprintf(d.enterprise, sizeof d.enterprise, "%s", m->enterprise);
    snprintf(d.recipient, sizeof d.recipient, "%s", a->recipient);
    snprintf(d.result, sizeof d.result, "%s", result);
    snprintf(d.receipt, sizeof d.receipt, "%s", a->receipt);
    snprintf(d.detail, sizeof d.detail, "%s", a->detail);
    nt_journal_append(nt_journal_of(ch->owner), &d);
}

static void *channel_main(void *arg) {
    nt_channel *ch = arg;
    int backoff_ms = ch->retry_min_ms;
    pthread_mutex_lock(&ch->mu);
    for (;;) {
        while (!ch->n && !ch->stop) pthread_cond_wait(&ch->cv, &ch->mu);
        if (ch->stop) break;
        nt_msg *m = ch->q[ch->head]; /* stays at the head while it is tried */
        m->attempt++;
        pthread_mutex_unlock(&ch->mu);
        /* An SMS message is one per phone; the queue holds one each. */
        const char *phone = ch->type == NT_SMS && m->n_to ? m->to[0]->phone : NULL;
        if (phone && !*phone) phone = NULL;
        attempt a = {0};
        int rc = send_one(ch, m, phone, &a);
        journal(ch, m, &a, rc == 0 ? "sent" : rc > 0 ? "no_recipient" : "failed");
        pthread_mutex_lock(&ch->mu);
        if (rc >= 0) {
            if (ch->n && ch->q[ch->head] == m) { /* not dropped meanwhile */
                ch->head = (ch->head + 1) % ch->queue_cap;
                ch->n--;
                nt_msg_free(m);
            }
            if (rc == 0) ch->sent++, ch->up = true;
            backoff_ms = ch->retry_min_ms;
            continue;
        }
        ch->failed++, ch->up = false;
        struct timespec until;
        pw_deadline_in(CLOCK_REALTIME, backoff_ms, &until);
        while (!ch->stop && pthread_cond_timedwait(&ch->cv, &ch->mu, &until) != ETIMEDOUT) {
        }
        backoff_ms = backoff_ms * 2 > ch->retry_max_ms ? ch->retry_max_ms : backoff_ms * 2;
    }
    pthread_mutex_unlock(&ch->mu);
    return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_start(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int nt_channel_start(nt_channel *ch, notify *owner, char *err, size_t errcap) {
    pthread_once(&curl_once, curl_start);
    ch->owner = owner, ch->up = true;
    pthread_mutex_init(&ch->mu, NULL);
    pthread_cond_init(&ch->cv, NULL);
    ch->q = calloc(ch->queue_cap, sizeof *ch->q);
    if (!ch->q || pthread_create(&ch->thread, NULL, channel_main, ch) != 0)
        return pw_fail(err, errcap, "notify: channel %s: cannot start its worker", ch->name);
    ch->started = true;
    return 0;
}

void nt_channel_stop(nt_channel *ch) {
    if (!ch->q) return;
    if (ch->started) {
        pthread_mutex_lock(&ch->mu);
        ch->stop = true;
        pthread_cond_broadcast(&ch->cv);
        pthread_mutex_unlock(&ch->mu);
        pthread_join(ch->thread, NULL);
    }
    for (size_t i = 0; i < ch->n; i++) nt_msg_free(ch->q[(ch->head + i) % ch->queue_cap]);
    free(ch->q);
    ch->q = NULL;
    pthread_mutex_destroy(&ch->mu);
    pthread_cond_destroy(&ch->cv);
}

static void push(nt_channel *ch, nt_msg *m) {
    pthread_mutex_lock(&ch->mu);
    if (ch->n == ch->queue_cap) {
        /* Full: the oldest waiting goes (not the head being tried, when
         * there is another). */
        size_t victim = ch->n > 1 ? (ch->head + 1) % ch->queue_cap : ch->head;
        nt_msg_free(ch->q[victim]);
        if (victim == ch->head)
            ch->head = (ch->head + 1) % ch->queue_cap;
        else
            ch->q[victim] = ch->q[ch->head], ch->head = victim;
        ch->n--;
        ch->dropped++;
    }
    ch->q[(ch->head + ch->n) % ch->queue_cap] = m;
    ch->n++;
    pthread_cond_signal(&ch->cv);
    pthread_mutex_unlock(&ch->mu);
}

void nt_channel_enqueue(nt_channel *ch, nt_msg *m) {
    if (ch->type != NT_SMS || m->n_to <= 1) {
        push(ch, m);
        return;
    }
    for (size_t i = 0; i < m->n_to; i++) { /* one SMS a phone */
        nt_msg *c = nt_msg_clone(m);
        if (!c) continue;
        c->to[0] = m->to[i], c->n_to = 1;
        push(ch, c);
    }
    nt_msg_free(m);
}
