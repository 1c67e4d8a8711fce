/*
 * parksim - a chemical park on MQTT: enterprises with tank farms,
 * pipelines and gas detectors, and the park's weather and air-quality
 * stations, publishing telemetry in the three payload formats, with
 * incidents (a leak carried by the wind to the detectors, a frozen sensor,
 * a device going offline, a pressure spike, a tank overfilling, a line or
 * vessel over its design pressure, a pipeline losing flow between its
 * meters, a detector drifting). The park's files: parksim.c (options,
 * payloads, MQTT), parksim_park.c (the park and its normal behaviour),
 * parksim_incidents.c (incidents), parksim.h.
 *
 * parksim [--host H] [--port P] [--enterprises N] [--seed S]
 *         [--format json|neuron|lineproto|mixed] [--rate HZ] [--fast]
 *         [--duration SECONDS] [--count MESSAGES] [--per-message N]
 *         [--tags-per-enterprise N] [--qos 0|1] [--client-prefix P]
 *         [--ledger FILE] [--incident SPEC]... [--layout FILE] [--park LAYOUT]
 *         [--start-ms T] [--history SECONDS] [--quiet]
 *         [--username U --password P] [--credentials FILE]
 *         [--cafile CA [--certfile CERT --keyfile KEY]]
 *         [--closedpark N [--closedpark-scale S] [--api URL --api-token TOKEN]]
 *
 * --closedpark N plays closed-park management alongside the readings
 * (parksim_closedpark.c): N hazardous-goods vehicles through the gates of
 * the --park layout (else of the demo park, geo/demo-park.geojson), with
 * their appointments, permits and camera and badge events.
 *
 * --park plays the devices of a layout (parkgen's demo park or a real one:
 * every series of every feature, with the tanks' substances and the
 * detectors' gases), placed where the layout puts them; without it parksim
 * makes up a park of --enterprises enterprises (deterministic from --seed).
 * --layout writes the simulated park as GeoJSON that geo/ loads (parkctl
 * layout-check): enterprise plots, tanks, pipelines, gas detectors and the
 * stations, each with the series the receiver stores for it.
 *
 * Normal operation raises no alarm under the limits the layout implies
 * (assets/): tank levels 25-72 % of the height, temperatures about
 * 13-30 degC, pressurised tanks 42-71 % of their design pressure (MPa),
 * pipelines 60-80 % of theirs, a pipeline's outlet flow its inlet's less
 * a meter error under 0.5 %, detectors near zero with a live sensor's
 * jitter, air quality under GB 3095 grade II, wind under 10.8 m/s.
 *
 * Incidents (--incident, times in seconds from the start; each logged on
 * stderr when it starts and ends): leak (kg/s from a tank, carried to the
 * detectors by a Gaussian plume, the level draining), freeze (a device's
 * tags, or one tag, hold their last value bit for bit), offline, spike
 * (a tag reads value), overfill (a tank's level rises at rate m/min past
 * high-high toward the top), overpressure (a pressure rises at rate MPa/s
 * past the design pressure to 110 %), pipeline-leak (the outlet meter
 * reads pct % less than the inlet), drift (a detector reads rate more a
 * minute, up to max, its neighbours clean air); see usage().
 *
 * Broker security: --credentials FILE gives each enterprise's connection
 * its own user, "E001 password" lines (the user is the enterprise id, as
 * the park broker's ACL expects: an enterprise may publish only under
 * park/{E}/#); --username/--password is one user for the connections the
 * file does not name. --cafile turns on TLS (the broker's certificate must
 * chain to CA and match --host), --certfile/--keyfile add a client
 * certificate.
 *
 * One MQTT connection per enterprise (and one for the park, "PARK"), as
 * each enterprise's gateway would have, clean session, with a retained last
 * will "offline" on park/{E}/gateway/status and a retained "online" there
 * and on park/{E}/{device}/status on connect. Readings go to
 * park/{E}/{device}/data. Series are {E}/{device}/{tag} on the receiving
 * side (ingest/ingest.h, "MQTT payloads"):
 *  - json:      {"ts": ms, "values": {"T101.level": 12.5, ...}}, one device a message.
 *  - neuron:    a tag "T101.level" is sent as tag "level" of group "T101" (one
 *               message per device and group, as a Neuron south node uploads a
 *               group), so "{group}.{tag}" is again "T101.level"; tags without a
 *               dot ("lel", "wind_speed") go in a message without a group, which
 *               the receiver names by the tag alone. With --format neuron,
 *               E001, E003, ... use the values format, E002, E004, ... the tags
 *               array; --format mixed rotates json, Neuron values, Neuron tags
 *               and line protocol over the enterprises (PARK speaks json).
 *  - lineproto: "T101,enterprise=E001,device=tankfarm-1 level=12.5 <ms>"; a tag
 *               without a dot is measurement = tag, field "value", which the
 *               receiver stores as "{tag}.value" (the ledger and --layout say so).
 * --per-message N packs N readings a message: json and neuron fill messages
 * device by device (and group by group), line protocol packs an
 * enterprise's readings across devices (topic of the first reading's
 * device; each line names its device).
 *
 * Timestamps: realtime mode stamps a device's readings when it samples them
 * (or on the tick clock from --start-ms); --fast uses the clock from
 * --start-ms (or now) and keeps every series strictly increasing:
 * ts = max(clock, last ts of the device + 1), so no reading overwrites another.
 * --history S plays the S seconds before the start first (stamped in the
 * past, as fast as the broker takes them, without incidents): the history
 * a fresh park learns its instruments' normal behaviour from.
 *
 * --ledger writes one line per reading of every message the broker
 * acknowledged (PUBACK, QoS 1; every message sent at QoS 0):
 * "<series> <ts_ms> <value %.17g>", on the network thread in on_publish.
 * The last stdout line is a JSON summary. Exit: 0 ok, 1 broker unreachable
 * or refusing a connection (credentials, TLS) at start, 2 usage (also a
 * --credentials file without an enterprise, or TLS files it cannot use).
 *
 * Throughput: one publishing thread; each connection has a network thread
 * of ours (net_main, in place of mosquitto_loop_start's) that sends, reads
 * the PUBACKs and reconnects. At most MAX_INFLIGHT QoS 1 messages are in
 * flight (our window, a condition variable, and
 * mosquitto_max_inflight_messages_set), so memory stays flat. Values
 * are quantized to the transmitter's resolution and written by a
 * fixed-decimal formatter that parses back to the same double.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <mosquitto.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/mqttio.h"
#include "parksim.h"

parksim_opts opt = {.host = "127.0.0.1",
                    .prefix = "parksim",
                    .port = 1883,
                    .n_ent = 5,
                    .qos = 1,
                    .seed = 42,
                    .fmt = FMT_JSON,
                    .rate = 1,
                    .duration = -1,
                    .count = -1,
                    .cp_scale = 1};

client **clients;
int n_clients;
static FILE *ledger;
static pthread_mutex_t ledger_mu = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stop_flag;
uint64_t rng_state;
double frame_lon0 = LON0, frame_lat0 = LAT0;
double wind_speed = 3.0, wind_dir = 90.0;

static void on_signal(int sig) {
    (void)sig;
    stop_flag = 1;
}

void logf_(const char *fmt, ...) {
    if (opt.quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "parksim: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n);
    if (!p) {
        fprintf(stderr, "parksim: out of memory\n");
        exit(1);
    }
    return p;
}

static int64_t wall_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static double mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void deadline_in(struct timespec *ts, long ns) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ns;
    while (ts->tv_nsec >= 1000000000L) ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

/* ---- formatting ---- */

static void grow(buf *b, size_t more) {
    if (b->n + more + 1 > b->cap) {
        b->cap = (b->n + more + 1) * 2;
        b->p = xrealloc(b->p, b->cap);
    }
}

static void put(buf *b, const char *s, size_t n) {
    grow(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

#define PUTS(b, lit) put((b), (lit), sizeof(lit) - 1)

static void put_str(buf *b, const char *s) {
    put(b, s, strlen(s));
}

static void put_int(buf *b, long long v) {
    char tmp[24];
    int k = sizeof tmp;
    bool neg = v < 0;
    unsigned long long u = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do tmp[--k] = (char)('0' + u % 10), u /= 10;
    while (u);
    if (neg) tmp[--k] = '-';
    put(b, tmp + k, sizeof tmp - (size_t)k);
}

/* A quantized value with exactly its decimals: "12.34" parses back to the
 * double quantize() made (both are the double nearest to k / 10^dec). */
static void put_value(buf *b, double v, int dec) {
    static const long long scale[] = {1, 10, 100, 1000};
    dec = dec < 0 ? 0 : dec > 3 ? 3 : dec;
    long long s = scale[dec];
    long long k = llround(v * (double)s);
    if (k < 0) PUTS(b, "-"), k = -k;
    put_int(b, k / s);
    if (dec) {
        char f[4] = {'.'};
        long long r = k % s;
        for (int i = dec; i >= 1; i--, r /= 10) f[i] = (char)('0' + r % 10);
        put(b, f, (size_t)dec + 1);
    }
}

static void batch_end(const client *c, batch *b) {
    switch (c->fmt) {
        case FMT_JSON:
        case FMT_NEURON_VALUES:
            PUTS(&b->msg, "}}");
            break;
        case FMT_NEURON_TAGS:
            PUTS(&b->msg, "]}");
            break;
        case FMT_LP: /* no newline after the last line */
            b->msg.p[--b->msg.n] = 0;
            break;
    }
}

static bool publish(client *c, const char *topic, const buf *msg, const buf *led, int readings);

static long long published; /* messages, for --count */

static void flush(client *c, batch *b) {
    if (!b->n) return;
    if (opt.count >= 0 && published >= opt.count) { /* --count reached: drop the rest */
        b->n = 0, b->msg.n = 0, b->led.n = 0, b->first = NULL, b->head = NULL;
        return;
    }
    batch_end(c, b);
    publish(c, b->first->topic, &b->msg, ledger ? &b->led : NULL, b->n);
    c->turn_msgs++;
    b->n = 0, b->msg.n = 0, b->led.n = 0, b->first = NULL, b->head = NULL;
    if (opt.count >= 0 && ++published >= opt.count) stop_flag = 1;
}

static bool same_group(const tag *a, const tag *b) {
    return a->group_len == b->group_len && !memcmp(a->name, b->name, (size_t)a->group_len);
}

/* Appends reading tg (of device d, at ts) to c's batch, flushing first when
 * it cannot share the message, and after when the message is full. */
static void add_reading(client *c, batch *b, const device *d, const tag *tg, int64_t ts) {
    bool neuron = c->fmt == FMT_NEURON_VALUES || c->fmt == FMT_NEURON_TAGS;
    if (b->n && c->fmt != FMT_LP && (b->first != d || (neuron && !same_group(b->head, tg))))
        flush(c, b);
    buf *m = &b->msg;
    if (!b->n) {
        b->first = d;
        b->head = tg;
        switch (c->fmt) {
            case FMT_JSON:
                PUTS(m, "{\"ts\": ");
                put_int(m, ts);
                PUTS(m, ", \"values\": {");
                break;
            case FMT_NEURON_VALUES:
            case FMT_NEURON_TAGS:
                PUTS(m, "{\"node\": \"");
                put_str(m, d->name);
                if (tg->group_len) {
                    PUTS(m, "\", \"group\": \"");
                    put(m, tg->name, (size_t)tg->group_len);
                }
                PUTS(m, "\", \"timestamp\": ");
                put_int(m, ts);
                if (c->fmt == FMT_NEURON_VALUES)
                    PUTS(m, ", \"values\": {");
                else
                    PUTS(m, ", \"tags\": [");
                break;
            case FMT_LP:
                break;
        }
    } else if (c->fmt != FMT_LP) {
        PUTS(m, ", ");
    }
    const char *leaf = tg->group_len ? tg->name + tg->group_len + 1 : tg->name;
    switch (c->fmt) {
        case FMT_JSON:
            PUTS(m, "\"");
            put_str(m, tg->name);
            PUTS(m, "\": ");
            break;
        case FMT_NEURON_VALUES:
            PUTS(m, "\"");
            put_str(m, leaf);
            PUTS(m, "\": ");
            break;
        case FMT_NEURON_TAGS:
            PUTS(m, "{\"name\": \"");
            put_str(m, leaf);
            PUTS(m, "\", \"value\": ");
            break;
        case FMT_LP:
            /* measurement = the part before the dot, field = after; a tag
             * without a dot is its own measurement with field "value". */
            if (tg->group_len)
                put(m, tg->name, (size_t)tg->group_len);
            else
                put_str(m, tg->name);
            PUTS(m, ",enterprise=");
            put_str(m, c->ent);
            PUTS(m, ",device=");
            put_str(m, d->name);
            PUTS(m, " ");
            if (tg->group_len)
                put_str(m, leaf);
            else
                PUTS(m, "value");
            PUTS(m, "=");
            break;
    }
    put_value(m, tg->value, tg->decimals);
    if (c->fmt == FMT_NEURON_TAGS) PUTS(m, "}");
    if (c->fmt == FMT_LP) {
        PUTS(m, " ");
        put_int(m, ts);
        PUTS(m, "\n");
    }
    if (ledger) {
        char line[160];
        int n = snprintf(line, sizeof line, "%s %" PRId64 " %.17g\n", tg->series, ts, tg->value);
        put(&b->led, line, (size_t)n);
    }
    b->n++;
    if (opt.per_message && b->n >= opt.per_message) flush(c, b);
}

/* ---- MQTT ---- */

/* Tell the network thread that messages wait (once a turn, not a message). */
static void wake_net(client *c) {
    uint64_t one = 1;
    if (write(c->wake_fd, &one, sizeof one) < 0) {
    } /* full counter: it is awake anyway */
}

void status(client *c, const char *device, const char *s) {
    char topic[96];
    snprintf(topic, sizeof topic, "park/%s/%s/status", c->ent, device);
    mosquitto_publish(c->m, NULL, topic, (int)strlen(s), s, opt.qos, true);
    wake_net(c);
}

static void on_connect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    client *c = obj;
    if (rc == 0) {
        status(c, "gateway", "online");
        for (int j = 0; j < c->n_devs; j++)
            status(c, c->devs[j].name, atomic_load(&c->devs[j].offline) ? "offline" : "online");
    }
    pthread_mutex_lock(&c->mu);
    c->connack = rc;
    c->connected = rc == 0;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc) {
    (void)m;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    c->connected = false;
    if (rc != 0 && !c->last_error[0])
        snprintf(c->last_error, sizeof c->last_error, "%s", mosquitto_strerror(rc));
    pthread_mutex_unlock(&c->mu);
}

/* libmosquitto's errors (the OpenSSL reason of a failed handshake). */
static void on_log(struct mosquitto *m, void *obj, int level, const char *s) {
    (void)m;
    client *c = obj;
    if (!(level & MOSQ_LOG_ERR)) return;
    pthread_mutex_lock(&c->mu);
    snprintf(c->last_error, sizeof c->last_error, "%s", s);
    pthread_mutex_unlock(&c->mu);
}

static void on_publish(struct mosquitto *m, void *obj, int mid) {
    (void)m;
    client *c = obj;
    pthread_mutex_lock(&c->mu);
    int r = c->readings_by_mid[mid & 0xFFFF];
    char *l = c->ledger_by_mid[mid & 0xFFFF];
    c->readings_by_mid[mid & 0xFFFF] = 0;
    c->ledger_by_mid[mid & 0xFFFF] = NULL;
    if (r) { /* else a status message */
        c->inflight--;
        c->acked_msgs++;
        c->acked_readings += (uint64_t)r;
        /* Wake the publisher only when the window has room again or is
         * empty: a wake-up per PUBACK costs more than the publish itself. */
        if (c->inflight == MAX_INFLIGHT / 2 || c->inflight == 0) pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    if (l) {
        pthread_mutex_lock(&ledger_mu);
        fputs(l, ledger);
        pthread_mutex_unlock(&ledger_mu);
        free(l);
    }
}

/* Caller holds c->mu: until the in-flight window has room. */
static void wait_window_locked(client *c) {
    if (c->inflight >= MAX_INFLIGHT) wake_net(c); /* the window's messages may all be queued */
    while (c->inflight >= MAX_INFLIGHT && !stop_flag) {
        struct timespec until;
        deadline_in(&until, 100000000L);
        pthread_cond_timedwait(&c->cv, &c->mu, &until);
    }
}

/* A device waits for room before it samples, so its readings' time is
 * when they leave, not when they started waiting behind a full window
 * (what a latency measured from the timestamp must start from). */
static void wait_window(client *c) {
    pthread_mutex_lock(&c->mu);
    wait_window_locked(c);
    pthread_mutex_unlock(&c->mu);
}

static bool publish(client *c, const char *topic, const buf *msg, const buf *led, int readings) {
    pthread_mutex_lock(&c->mu);
    wait_window_locked(c);
    int mid = 0;
    /* Held across publish so on_publish cannot see the mid before we record
     * it. At QoS 1 libmosquitto keeps the message while disconnected (the
     * call says MOSQ_ERR_NO_CONN) and sends it after the reconnect: it is
     * published, and its PUBACK puts it in the ledger. */
    int rc = mosquitto_publish(c->m, &mid, topic, (int)msg->n, msg->p, opt.qos, false);
    if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && opt.qos > 0)) {
        c->msgs++;
        c->readings += (uint64_t)readings;
        if (opt.qos == 0) {
            c->acked_msgs++;
            c->acked_readings += (uint64_t)readings;
        } else {
            c->inflight++;
            c->readings_by_mid[mid & 0xFFFF] = readings;
            if (led && led->n) {
                c->ledger_by_mid[mid & 0xFFFF] = strdup(led->p);
                if (!c->ledger_by_mid[mid & 0xFFFF]) exit(1);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    /* An idle network thread sends at once (a reading's latency starts at
     * its stamp); a busy one takes what queued up while it worked, corked,
     * when it comes round. */
    if (atomic_exchange(&c->idle, false)) wake_net(c);
    if (rc == MOSQ_ERR_SUCCESS && opt.qos == 0 && led && led->n) {
        pthread_mutex_lock(&ledger_mu);
        fputs(led->p, ledger);
        pthread_mutex_unlock(&ledger_mu);
    }
    return rc == MOSQ_ERR_SUCCESS || rc == MOSQ_ERR_NO_CONN;
}

bool parksim_publish(client *c, const char *topic, const char *payload, size_t len, int readings,
                     const char *ledger_lines) {
    buf m = {(char *)payload, len, len + 1};
    buf l = {(char *)ledger_lines, ledger_lines ? strlen(ledger_lines) : 0, 0};
    return publish(c, topic, &m, ledger && ledger_lines ? &l : NULL, readings > 0 ? readings : 1);
}

/* ---- broker security: credentials and TLS ---- */

typedef struct credential {
    char user[64], password[256];
} credential;

static credential *creds;
static int n_creds;

/* --credentials: "USER PASSWORD" lines; blank lines and # comments skipped. */
static int load_credentials(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "parksim: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char user[64], pw[256], extra[2];
        int n = sscanf(line, "%63s %255s %1s", user, pw, extra);
        if (n <= 0 || user[0] == '#') continue;
        if (n != 2) {
            fprintf(stderr, "parksim: %s:%d: expected \"USER PASSWORD\"\n", path, lineno);
            fclose(f);
            return -1;
        }
        credential *g = realloc(creds, (size_t)(n_creds + 1) * sizeof *creds);
        if (!g) {
            fclose(f);
            return -1;
        }
        creds = g;
        snprintf(creds[n_creds].user, sizeof creds[n_creds].user, "%s", user);
        snprintf(creds[n_creds].password, sizeof creds[n_creds].password, "%s", pw);
        n_creds++;
    }
    fclose(f);
    return 0;
}

/* A connection's network thread. The publisher queues (threaded mode:
 * mosquitto_publish only queues) and wakes it once a turn; it reads every
 * PUBACK waiting, writes what is queued corked, and reconnects after a lost
 * connection as mosquitto_loop_forever would with reconnect_delay_set(1, 5,
 * false): 1 s, 2 s, ... 5 s. */
static void *net_main(void *arg) {
    client *c = arg;
    struct mosquitto *m = c->m;
    bool up = true; /* main made the first connection */
    int reconnects = 0;
    double next_try = 0, closing_since = 0;
    for (;;) {
        if (atomic_load(&c->closing)) {
            if (!closing_since) closing_since = mono();
            if (!up || mono() - closing_since > 2) break;
        }
        if (!up) {
            if (mono() < next_try || stop_flag) {
                poll(NULL, 0, 50);
                continue;
            }
            if (mosquitto_reconnect(m) != MOSQ_ERR_SUCCESS) {
                reconnects++;
                next_try = mono() + (reconnects < 5 ? reconnects : 5);
                continue;
            }
            up = true;
        }
        int fd = mosquitto_socket(m);
        atomic_store(&c->idle, true); /* before want_write: a later publish wakes us */
        struct pollfd pf[2] = {
            {.fd = fd, .events = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0)},
            {.fd = c->wake_fd, .events = POLLIN}};
        int rc = MOSQ_ERR_SUCCESS;
        if (fd < 0)
            rc = MOSQ_ERR_NO_CONN;
        else if (poll(pf, 2, 100) < 0 && errno != EINTR)
            rc = MOSQ_ERR_ERRNO;
        atomic_store(&c->idle, false);
        if (pf[1].revents & POLLIN) {
            uint64_t junk;
            if (read(c->wake_fd, &junk, sizeof junk) < 0) {
            }
        }
        if (rc == MOSQ_ERR_SUCCESS && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            do rc = mosquitto_loop_read(m, 1);
            while (rc == MOSQ_ERR_SUCCESS && mqttio_bytes_waiting(fd));
        }
        if (rc == MOSQ_ERR_SUCCESS && mosquitto_want_write(m)) rc = mqttio_write_corked(m, fd);
        if (rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop_misc(m);
        if (rc == MOSQ_ERR_SUCCESS) {
            pthread_mutex_lock(&c->mu);
            if (c->connected) reconnects = 0;
            pthread_mutex_unlock(&c->mu);
        } else {
            up = false;
            reconnects++;
            next_try = mono() + (reconnects < 5 ? reconnects : 5);
        }
    }
    return NULL;
}

/* Queue the DISCONNECT and wait until the network thread has sent it. */
static void close_client(client *c) {
    mosquitto_disconnect(c->m);
    atomic_store(&c->closing, true);
    wake_net(c);
    pthread_join(c->net, NULL);
}

/* The connection's user (its enterprise's line of --credentials, else
 * --username) and TLS. */
static int setup_security(client *c) {
    const char *user = opt.username, *pw = opt.password;
    for (int i = 0; i < n_creds; i++)
        if (!strcmp(creds[i].user, c->ent)) user = creds[i].user, pw = creds[i].password;
    if (opt.credentials_path && !user) {
        fprintf(stderr, "parksim: %s has no password for %s (and no --username)\n",
                opt.credentials_path, c->ent);
        return -1;
    }
    int rc = user ? mosquitto_username_pw_set(c->m, user, pw) : MOSQ_ERR_SUCCESS;
    if (rc == MOSQ_ERR_SUCCESS && opt.cafile)
        rc = mosquitto_tls_set(c->m, opt.cafile, NULL, opt.certfile, opt.keyfile, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "parksim: %s-%s: %s%s\n", opt.prefix, c->ent,
                opt.cafile ? "TLS setup (--cafile, --certfile, --keyfile): " : "",
                mosquitto_strerror(rc));
        return -1;
    }
    return 0;
}

/* ---- main ---- */

static void usage(void) {
    fprintf(
        stderr,
        "usage: parksim [--host H] [--port P] [--enterprises N] [--seed S]\n"
        "               [--format json|neuron|lineproto|mixed] [--rate HZ] [--fast]\n"
        "               [--duration SECONDS] [--count MESSAGES] [--per-message N]\n"
        "               [--tags-per-enterprise N] [--qos 0|1] [--client-prefix P]\n"
        "               [--ledger FILE] [--incident SPEC]... [--layout FILE] [--park LAYOUT]\n"
        "               [--start-ms T] [--history SECONDS] [--quiet]\n"
        "               [--username U --password P] [--credentials FILE]\n"
        "               [--cafile CA [--certfile CERT --keyfile KEY]]\n"
        "               [--closedpark N [--closedpark-scale S] [--api URL --api-token TOKEN]]\n"
        "closedpark N: N hazardous-goods vehicles over the run (one without an appointment,\n"
        "  one off its route, one speeding, one stopped), badges, permits (HTTP to --api),\n"
        "  camera events, on the --park layout's roads (else the demo park's); S divides\n"
        "  the scenario's durations (run: --duration, else 7200/S s); --api is parkd's API\n"
        "  (http://127.0.0.1:8080: appointments and permits under /api/v1)\n"
        "credentials FILE: one \"USER PASSWORD\" line per enterprise (E001, ..., PARK)\n"
        "incidents (times in seconds from the start):\n"
        "  leak:E001:tankfarm-1:T101:at=60:rate=2.5:for=300   (kg/s)\n"
        "  freeze:E002:gd-03:at=30[:for=S]   offline:E003:gd-01:at=10:for=60\n"
        "  spike:E001:pipeline-1:PT01.pressure:at=20:value=9.9[:for=1]\n"
        "  freeze:E011:tankfarm-1:T104.level:at=20   (holds the last value exactly)\n"
        "  overfill:E005:tankfarm-1:T102:at=20[:rate=1][:for=S]   (level up, m/min, to ~95 %%)\n"
        "  overpressure:E007:pipeline-1:PT01.pressure:at=25[:rate=MPa/s][:for=S]\n"
        "      (up to 110 %% of the design pressure; default rate 2 %% of it a second)\n"
        "  pipeline-leak:E009:pipeline-2:at=30[:pct=5][:for=S]   (outlet reads pct %% less)\n"
        "  drift:E010:gd-20:at=5[:rate=0.5][:max=15][:for=S]   (detector creeps up, per min)\n");
    exit(2);
}

static double num_arg(const char *s, double lo, double hi) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !(v >= lo && v <= hi)) {
        fprintf(stderr, "parksim: bad number '%s'\n", s);
        usage();
    }
    return v;
}

/* One tick: every device's readings, enterprise by enterprise. history:
 * stamped with the tick's time (the past played fast), else as the run's
 * clock says. */
static void play_tick(double t, int64_t tick_ts, bool history, double t0, int64_t start,
                      int64_t *max_lead) {
    /* Enterprise by enterprise, in turns of up to half the in-flight
     * window: a connection that got a whole enterprise's messages in a
     * row would empty its window and then wait for PUBACKs (which a
     * broker without set_tcp_nodelay holds back about 40 ms) while the
     * others idle; but runs of one enterprise's messages suit the
     * receiver better than messages that alternate every device. */
    for (int k = 0; k < n_clients; k++) clients[k]->next_dev = 0;
    for (bool more = true; more && !stop_flag;) {
        more = false;
        for (int k = 0; k < n_clients && !stop_flag; k++) {
            client *c = clients[k];
            c->turn_msgs = 0;
            while (c->next_dev < c->n_devs && c->turn_msgs < MAX_INFLIGHT / 2 && !stop_flag) {
                device *d = &c->devs[c->next_dev++];
                if (atomic_load(&d->offline)) continue;
                if (!c->b.n) wait_window(c); /* nothing batched: this device's message is next */
                /* A live device stamps its readings when it samples them;
                 * with --start-ms the run's clock does (the tick's time,
                 * or with --fast the time since the start). Strictly
                 * increasing per device: no reading overwrites another. */
                int64_t stamp = history         ? tick_ts
                                : !opt.start_ms ? wall_ms()
                                : opt.fast      ? start + (int64_t)((mono() - t0) * 1000)
                                                : tick_ts;
                int64_t ts = stamp > d->last_ts ? stamp : d->last_ts + 1;
                d->last_ts = ts;
                if (ts - stamp > *max_lead) *max_lead = ts - stamp;
                for (int q = 0; q < d->n_tags; q++) step_tag(t, ts, d, &d->tags[q]);
                for (int q = 0; q < d->n_tags && !stop_flag; q++)
                    add_reading(c, &c->b, d, &d->tags[q], ts);
                if (c->fmt != FMT_LP || !opt.per_message) flush(c, &c->b);
            }
            if (c->turn_msgs) wake_net(c);
            more |= c->next_dev < c->n_devs;
        }
        if (!history && opt.fast && opt.duration >= 0 && mono() - t0 >= opt.duration) stop_flag = 1;
    }
    for (int k = 0; k < n_clients; k++) {
        flush(clients[k], &clients[k]->b);
        wake_net(clients[k]);
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--host") && has)
            opt.host = argv[++i];
        else if (!strcmp(a, "--port") && has)
            opt.port = (int)num_arg(argv[++i], 1, 65535);
        else if (!strcmp(a, "--enterprises") && has)
            opt.n_ent = (int)num_arg(argv[++i], 1, MAX_ENT);
        else if (!strcmp(a, "--seed") && has)
            opt.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--format") && has) {
            opt.fmt = park_format_parse(argv[++i]);
            if (opt.fmt == -2) usage();
        } else if (!strcmp(a, "--rate") && has)
            opt.rate = num_arg(argv[++i], 1e-3, 1e4);
        else if (!strcmp(a, "--fast"))
            opt.fast = true;
        else if (!strcmp(a, "--duration") && has)
            opt.duration = num_arg(argv[++i], 0, 1e9);
        else if (!strcmp(a, "--count") && has)
            opt.count = (long long)num_arg(argv[++i], 0, 1e18);
        else if (!strcmp(a, "--per-message") && has)
            opt.per_message = (int)num_arg(argv[++i], 0, 1e6);
        else if (!strcmp(a, "--tags-per-enterprise") && has)
            opt.tags_per_ent = (int)num_arg(argv[++i], 0, 1e7);
        else if (!strcmp(a, "--qos") && has)
            opt.qos = (int)num_arg(argv[++i], 0, 1);
        else if (!strcmp(a, "--client-prefix") && has)
            opt.prefix = argv[++i];
        else if (!strcmp(a, "--ledger") && has)
            opt.ledger_path = argv[++i];
        else if (!strcmp(a, "--park") && has)
            opt.park_path = argv[++i];
        else if (!strcmp(a, "--layout") && has)
            opt.layout_path = argv[++i];
        else if (!strcmp(a, "--start-ms") && has)
            opt.start_ms = (int64_t)num_arg(argv[++i], 0, 1e15);
        else if (!strcmp(a, "--history") && has)
            opt.history_s = num_arg(argv[++i], 0, 366 * 86400.0);
        else if (!strcmp(a, "--quiet"))
            opt.quiet = true;
        else if (!strcmp(a, "--username") && has)
            opt.username = argv[++i];
        else if (!strcmp(a, "--password") && has)
            opt.password = argv[++i];
        else if (!strcmp(a, "--credentials") && has)
            opt.credentials_path = argv[++i];
        else if (!strcmp(a, "--cafile") && has)
            opt.cafile = argv[++i];
        else if (!strcmp(a, "--certfile") && has)
            opt.certfile = argv[++i];
        else if (!strcmp(a, "--keyfile") && has)
            opt.keyfile = argv[++i];
        else if (!strcmp(a, "--closedpark") && has)
            opt.closedpark = (int)num_arg(argv[++i], 0, 10000);
        else if (!strcmp(a, "--closedpark-scale") && has)
            opt.cp_scale = num_arg(argv[++i], 0.01, 1000);
        else if (!strcmp(a, "--api") && has)
            opt.api_url = argv[++i];
        else if (!strcmp(a, "--api-token") && has)
            opt.api_token = argv[++i];
        else if (!strcmp(a, "--incident") && has) {
            if (opt.n_inc == MAX_INCIDENTS || parse_incident(argv[++i], &opt.inc[opt.n_inc]) != 0) {
                fprintf(stderr, "parksim: bad incident '%s'\n", argv[i]);
                usage();
            }
            opt.n_inc++;
        } else
            usage();
    }
    if ((opt.password && !opt.username) || (!opt.certfile != !opt.keyfile) ||
        ((opt.certfile || opt.keyfile) && !opt.cafile)) {
        fprintf(stderr, "parksim: --password needs --username, --certfile and --keyfile go "
                        "together and with --cafile\n");
        usage();
    }
    if (opt.credentials_path && load_credentials(opt.credentials_path) != 0) return 2;
    rng_state = opt.seed * 2654435761u + 88172645463325252ull;
    if (opt.park_path) {
        if (build_park_from_layout(opt.park_path) != 0) return 2;
    } else {
        build_park();
    }
    for (int i = 0; i < opt.n_inc; i++)
        if (bind_incident(&opt.inc[i]) != 0) return 2;
    if (opt.layout_path) write_layout(opt.layout_path);
    if (opt.closedpark && closedpark_setup() != 0) return 2;
    if (opt.ledger_path && !(ledger = fopen(opt.ledger_path, "w"))) {
        fprintf(stderr, "parksim: cannot write %s: %s\n", opt.ledger_path, strerror(errno));
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    mosquitto_lib_init();
    int exit_code = 0;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        char id[64], will[64];
        snprintf(id, sizeof id, "%s-%s", opt.prefix, c->ent);
        snprintf(will, sizeof will, "park/%s/gateway/status", c->ent);
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        c->readings_by_mid = calloc(65536, sizeof *c->readings_by_mid);
        c->ledger_by_mid = calloc(65536, sizeof *c->ledger_by_mid);
        c->m = mosquitto_new(id, true, c);
        c->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (!c->m || !c->readings_by_mid || !c->ledger_by_mid || c->wake_fd < 0) {
            fprintf(stderr, "parksim: out of memory\n");
            return 1;
        }
        mosquitto_threaded_set(c->m, true); /* publish only queues; net_main sends */
        mosquitto_will_set(c->m, will, 7, "offline", 1, true);
        mosquitto_connect_callback_set(c->m, on_connect);
        mosquitto_disconnect_callback_set(c->m, on_disconnect);
        mosquitto_publish_callback_set(c->m, on_publish);
        mosquitto_log_callback_set(c->m, on_log);
        mosquitto_max_inflight_messages_set(c->m, MAX_INFLIGHT);
        mosquitto_reconnect_delay_set(c->m, 1, 5, false);
        if (setup_security(c) != 0) return 2;
        int rc = mosquitto_connect(c->m, opt.host, opt.port, 30);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "parksim: cannot connect to %s:%d%s: %s%s%s%s\n", opt.host, opt.port,
                    opt.cafile ? " over TLS" : "",
                    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc),
                    c->last_error[0] ? " (" : "", c->last_error, c->last_error[0] ? ")" : "");
            return 1;
        }
        if (pthread_create(&c->net, NULL, net_main, c) != 0) {
            fprintf(stderr, "parksim: cannot start a network thread\n");
            return 1;
        }
    }
    for (int k = 0; k < n_clients && !exit_code; k++) { /* wait for the CONNACKs (5 s) */
        client *c = clients[k];
        pthread_mutex_lock(&c->mu);
        for (int w = 0; w < 100 && c->connack < 0 && !stop_flag; w++) {
            struct timespec until;
            deadline_in(&until, 50000000L);
            pthread_cond_timedwait(&c->cv, &c->mu, &until);
        }
        int rc = c->connack;
        char why[sizeof c->last_error + 4];
        why[0] = 0;
        if (c->last_error[0]) snprintf(why, sizeof why, " (%s)", c->last_error);
        pthread_mutex_unlock(&c->mu);
        if (rc != 0 && !stop_flag) {
            fprintf(stderr, "parksim: broker %s:%d%s %s %s-%s: %s%s\n", opt.host, opt.port,
                    opt.cafile ? " (TLS)" : "",
                    rc < 0 ? "did not answer the CONNECT of" : "refused", opt.prefix, c->ent,
                    rc < 0 ? "no CONNACK in 5 s" : mosquitto_connack_string(rc), rc < 0 ? why : "");
            exit_code = 1;
        }
    }
    if (exit_code) {
        for (int k = 0; k < n_clients; k++) close_client(clients[k]);
        return exit_code;
    }
    int64_t max_lead = 0; /* how far unique timestamps ran ahead of the clock */
    double t0 = mono();
    int64_t start = opt.start_ms ? opt.start_ms : wall_ms();
    long long tick = 0;
    double period = 1.0 / opt.rate;
    if (opt.count == 0) stop_flag = 1;
    /* --history: the past first, tick by tick as fast as the broker takes
     * it, without incidents (they are now's), so parkd has a history to
     * learn from (the stuck detector's models, trends) at the demo's start. */
    if (opt.history_s > 0 && !stop_flag) {
        long long ticks = (long long)(opt.history_s * opt.rate);
        int64_t from = start - (int64_t)llround(opt.history_s * 1000);
        for (long long h = 0; h < ticks && !stop_flag; h++) {
            double th = (double)h * period - opt.history_s;
            play_tick(th, from + (int64_t)llround((double)h * period * 1000), true, t0, start,
                      &max_lead);
        }
        logf_("history: %.0f s played", opt.history_s);
        t0 = mono(); /* now's ticks start after it */
        if (!opt.start_ms) start = wall_ms();
    }
    while (!stop_flag) {
        double t = opt.fast ? mono() - t0 : (double)tick * period;
        if (opt.duration >= 0 && t >= opt.duration) break;
        if (!opt.fast) { /* realtime: wait for the tick */
            double wait = t0 + t - mono();
            if (wait > 0) usleep((useconds_t)(wait * 1e6));
            if (stop_flag) break;
        }
        int64_t tick_ts = start + (int64_t)llround(t * 1000);
        run_incidents(t, tick_ts);
        if (opt.closedpark) closedpark_tick(t, start);
        play_tick(t, tick_ts, false, t0, start, &max_lead);
        for (int k = 0; k < n_clients; k++) {
            flush(clients[k], &clients[k]->b);
            wake_net(clients[k]);
        }
        tick++;
    }
    double elapsed = mono() - t0;
    if (opt.closedpark) closedpark_end();
    if (max_lead > 1000)
        logf_("timestamps ran up to %.1f s ahead of the clock (one ms apart per series): too few "
              "series for this rate, add some with --tags-per-enterprise",
              (double)max_lead / 1000);
    /* Wait (bounded, 10 s in all) for the outstanding PUBACKs. */
    double until = mono() + 10;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        pthread_mutex_lock(&c->mu);
        while (c->inflight > 0 && mono() < until) {
            struct timespec w;
            deadline_in(&w, 50000000L);
            pthread_cond_timedwait(&c->cv, &c->mu, &w);
        }
        pthread_mutex_unlock(&c->mu);
    }
    uint64_t msgs = 0, readings = 0, am = 0, ar = 0;
    for (int k = 0; k < n_clients; k++) {
        client *c = clients[k];
        /* A clean stop: say so (the will is only for a lost connection). */
        status(c, "gateway", "offline");
        close_client(c);
        close(c->wake_fd);
        pthread_mutex_lock(&c->mu);
        msgs += c->msgs, readings += c->readings, am += c->acked_msgs, ar += c->acked_readings;
        pthread_mutex_unlock(&c->mu);
        mosquitto_destroy(c->m);
        for (int i = 0; i < 65536; i++) free(c->ledger_by_mid[i]);
        free(c->ledger_by_mid);
        free(c->readings_by_mid);
        for (int j = 0; j < c->n_devs; j++) free(c->devs[j].tags);
        free(c->devs);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        free(c->b.msg.p);
        free(c->b.led.p);
        free(c);
    }
    free(clients);
    free(creds);
    mosquitto_lib_cleanup();
    if (ledger && fclose(ledger) != 0) perror("parksim: ledger");
    printf("{\"messages\": %" PRIu64 ", \"readings\": %" PRIu64 ", \"acked_messages\": %" PRIu64
           ", \"acked_readings\": %" PRIu64 ", \"seconds\": %.2f, \"messages_per_s\": %.0f, "
           "\"readings_per_s\": %.0f}\n",
           msgs, readings, am, ar, elapsed, elapsed > 0 ? (double)msgs / elapsed : 0,
           elapsed > 0 ? (double)readings / elapsed : 0);
    return 0;
}
