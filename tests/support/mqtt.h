/*
 * mqtt.h - an MQTT publisher of exact payloads for integration tests:
 * libmosquitto with its network loop in a thread of its own, anonymous, to
 * a test broker on 127.0.0.1, QoS 1, every PUBACK counted. Header-only,
 * cmocka assertions (include cmocka.h first).
 */
#ifndef PARKWATCH_TEST_MQTT_H
#define PARKWATCH_TEST_MQTT_H

#include <mosquitto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct publisher {
    struct mosquitto *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sent, acked; /* messages published, PUBACKs received */
} publisher;

static inline void pub_on_publish(struct mosquitto *m, void *obj, int mid) {
    (void)m, (void)mid;
    publisher *pub = obj;
    pthread_mutex_lock(&pub->mu);
    pub->acked++;
    pthread_cond_broadcast(&pub->cv);
    pthread_mutex_unlock(&pub->mu);
}

/* Connects to the broker on 127.0.0.1:port and starts the network loop. */
static inline void pub_open(publisher *pub, int port) {
    memset(pub, 0, sizeof *pub);
    pthread_mutex_init(&pub->mu, NULL);
    pthread_cond_init(&pub->cv, NULL);
    mosquitto_lib_init();
    pub->m = mosquitto_new(NULL, true, pub);
    assert_non_null(pub->m);
    mosquitto_publish_callback_set(pub->m, pub_on_publish);
    assert_int_equal(mosquitto_connect(pub->m, "127.0.0.1", port, 10), MOSQ_ERR_SUCCESS);
    assert_int_equal(mosquitto_loop_start(pub->m), MOSQ_ERR_SUCCESS);
}

/* Publishes with QoS 1 and returns without waiting for the PUBACK
 * (pub_wait does); mosquitto_publish's result. */
static inline int pub_send(publisher *pub, const char *topic, const void *payload, size_t len) {
    pthread_mutex_lock(&pub->mu);
    pub->sent++;
    pthread_mutex_unlock(&pub->mu);
    return mosquitto_publish(pub->m, NULL, topic, (int)len, payload, 1, false);
}

/* Waits until the broker has acknowledged everything published so far. */
static inline void pub_wait(publisher *pub) {
    pthread_mutex_lock(&pub->mu);
    while (pub->acked < pub->sent) pthread_cond_wait(&pub->cv, &pub->mu);
    pthread_mutex_unlock(&pub->mu);
}

/* Publishes with QoS 1 and waits for the broker's PUBACK. */
static inline void pub_send_acked(publisher *pub, const char *topic, const void *payload,
                                  size_t len) {
    assert_int_equal(pub_send(pub, topic, payload, len), MOSQ_ERR_SUCCESS);
    pub_wait(pub);
}

/* pub_send_acked of a payload made with printf's format. */
__attribute__((format(printf, 3, 4))) static inline void pub_str(publisher *pub, const char *topic,
                                                                 const char *fmt, ...) {
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pub_send_acked(pub, topic, buf, (size_t)n);
}

/* Waits for the outstanding PUBACKs, disconnects and frees the client. */
static inline void pub_close(publisher *pub) {
    pub_wait(pub);
    mosquitto_disconnect(pub->m);
    mosquitto_loop_stop(pub->m, false);
    mosquitto_destroy(pub->m);
    mosquitto_lib_cleanup();
}

#endif
