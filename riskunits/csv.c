/*
 * csv.c - risk units imported from CSV (RFC 4180): the text is checked
 * UTF-8, split into rows (quoted fields may hold commas, quotes doubled,
 * line breaks), each row made the JSON object riskunits_put takes and
 * checked by the same code (unit.c); the first error names its line and
 * column and nothing is stored. Only when every row is good are they all
 * stored in one write (store.c).
 */
#include "riskunits/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_COLUMNS_MAX 32
#define CSV_FIELD_MAX   (64 * 1024) /* a geometry of 2,000 vertices fits */

static const char *const columns[] = {
    "id",     "enterprise", "name", "name_zh", "kind", "geometry", "lon",      "lat",
    "assets", "method",     "l",    "e",       "c",    "s",        "assessor", "assessed_ms"};
#define N_COLUMNS (sizeof columns / sizeof *columns)

/* The line of the first byte that is not UTF-8, or 0. */
static size_t utf8_bad_line(const unsigned char *s, size_t n) {
    size_t line = 1;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 0;
        if (!k || i + k > n || (k == 2 && c < 0xC2)) return line;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80) return line;
        if (!c) return line;
        if (c == '\n') line++;
        i += k;
    }
    return 0;
}

typedef struct csv_row {
    char *field[CSV_COLUMNS_MAX]; /* point into the reader's copy */
    size_t n;
    size_t line; /* of the row's first byte */
} csv_row;

typedef struct csv_reader {
    char *p, *end; /* the copy, rewritten in place (quotes removed) */
    size_t line;
} csv_reader;

/* The next row; 1 a row, 0 the end, -1 an error (err set). */
static int next_row(csv_reader *r, csv_row *row, char *err, size_t errcap) {
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) { /* blank lines */
        if (*r->p == '\n') r->line++;
        r->p++;
    }
    if (r->p >= r->end) return 0;
    row->n = 0;
    row->line = r->line;
    for (;;) {
        if (row->n == CSV_COLUMNS_MAX) {
            snprintf(err, errcap, "line %zu: more than %d columns", row->line, CSV_COLUMNS_MAX);
            return -1;
        }
        char *out = r->p, *start = r->p;
        row->field[row->n++] = out;
        if (r->p < r->end && *r->p == '"') {
            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    snprintf(err, errcap, "line %zu, column %zu: a quoted field is not closed",
                             row->line, row->n);
                    return -1;
                }
                if (*r->p == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') {
                        *out++ = '"';
                        r->p += 2;
                        continue;
                    }
                    r->p++;
                    break;
                }
                if (*r->p == '\n') r->line++;
                *out++ = *r->p++;
            }
            if (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                snprintf(err, errcap, "line %zu, column %zu: text after a closing quote", r->line,
                         row->n);
                return -1;
            }
        } else {
            while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r') {
                if (*r->p == '"') {
                    snprintf(err, errcap, "line %zu, column %zu: a quote inside an unquoted field",
                             r->line, row->n);
                    return -1;
                }
                *out++ = *r->p++;
            }
        }
        if ((size_t)(out - start) > CSV_FIELD_MAX) {
            snprintf(err, errcap, "line %zu, column %zu: a field of more than %d bytes", row->line,
                     row->n, CSV_FIELD_MAX);
            return -1;
        }
        char sep = r->p < r->end ? *r->p : '\n';
        if (r->p < r->end) r->p++;
        *out = 0; /* over the separator or a removed quote: never past it */
        if (sep == ',') continue;
        if (sep == '\r' && r->p < r->end && *r->p == '\n') r->p++;
        r->line++;
        return 1;
    }
}

static int column_of(const char *name) {
    for (size_t i = 0; i < N_COLUMNS; i++)
        if (!strcmp(name, columns[i])) return (int)i;
    return -1;
}

/* A number field: finite, whole text; integer when asked. */
static bool parse_number(const char *s, bool integer, json_t **out) {
    char *end;
    errno = 0;
    if (!*s) return false;
    if (integer) {
        long long v = strtoll(s, &end, 10);
        if (errno || *end) return false;
        *out = json_integer(v);
    } else {
        double v = strtod(s, &end);
        if (errno || *end || !isfinite(v)) return false;
        *out = json_real(v);
    }
    return *out != NULL;
}

/* A row as riskunits_put's object; -1 with *bad_col (0-based index into
 * the row) and err. */
static int row_object(const csv_row *row, const int *col, size_t n_cols, json_t **out,
                      size_t *bad_col, char *err, size_t errcap) {
    json_t *o = json_object();
    int lon_at = -1, lat_at = -1;
    const char *method = NULL;
    for (size_t i = 0; i < n_cols && i < row->n; i++)
        if (!strcmp(columns[col[i]], "method")) method = row->field[i];
    for (size_t i = 0; o && i < n_cols; i++) {
        const char *name = columns[col[i]], *f = i < row->n ? row->field[i] : "";
        if (!*f) continue; /* an empty field is an absent member */
        json_t *v = NULL;
        *bad_col = i;
        if (!strcmp(name, "geometry")) {
            json_error_t je;
            v = json_loads(f, 0, &je);
            if (!v) {
                snprintf(err, errcap, "not GeoJSON: %s", je.text);
                return json_decref(o), -1;
            }
        } else if (!strcmp(name, "assets")) {
            v = json_array();
            for (const char *p = f; v && *p;) {
                size_t n = strcspn(p, ";");
                const char *a = p, *z = p + n;
                while (a < z && *a == ' ') a++;
                while (z > a && z[-1] == ' ') z--;
                if (z > a) json_array_append_new(v, json_stringn(a, (size_t)(z - a)));
                p += n + (p[n] == ';');
            }
        } else if (!strcmp(name, "lon") || !strcmp(name, "lat")) {
            if (!parse_number(f, false, &v)) {
                snprintf(err, errcap, "not a number");
                return json_decref(o), -1;
            }
            *(!strcmp(name, "lon") ? &lon_at : &lat_at) = (int)i;
        } else if (!strcmp(name, "l") || !strcmp(name, "e") || !strcmp(name, "c") ||
                   !strcmp(name, "s") || !strcmp(name, "assessed_ms")) {
            bool integer = !strcmp(name, "assessed_ms") || !strcmp(name, "s") ||
                           (!strcmp(name, "l") && method && !strcmp(method, "LS"));
            if (!parse_number(f, integer, &v)) {
                snprintf(err, errcap, integer ? "not an integer" : "not a number");
                return json_decref(o), -1;
            }
        } else {
            v = json_string(f);
        }
        if (!v || json_object_set_new(o, name, v) != 0) {
            snprintf(err, errcap, "out of memory");
            return json_decref(o), -1;
        }
    }
    if (!o) return snprintf(err, errcap, "out of memory"), -1;
    /* lon and lat: a point, unless a geometry is given */
    json_t *lon = json_object_get(o, "lon"), *lat = json_object_get(o, "lat");
    if (lon || lat) {
        if (json_object_get(o, "geometry") || !lon || !lat) {
            *bad_col = (size_t)(lon ? lon_at : lat_at);
            snprintf(err, errcap, "lon and lat together, and not with geometry");
            return json_decref(o), -1;
        }
        json_object_set_new(o, "geometry",
                            json_pack("{s:s,s:[O,O]}", "type", "Point", "coordinates", lon, lat));
        json_object_del(o, "lon");
        json_object_del(o, "lat");
    }
    *out = o;
    return 0;
}

int riskunits_import_csv(riskunits *ru, const char *text, size_t len, const char *by,
                         const char *only_enterprise, int64_t now_ms, size_t *imported, char *err,
                         size_t errcap) {
    *imported = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) text += 3, len -= 3; /* a BOM */
    size_t bad_line = utf8_bad_line((const unsigned char *)text, len);
    if (bad_line) {
        snprintf(err, errcap, "line %zu: not UTF-8 text", bad_line);
        return RU_EINVAL;
    }
    char *copy = malloc(len + 1);
    if (!copy) return snprintf(err, errcap, "out of memory"), RU_EIO;
    memcpy(copy, text, len);
    copy[len] = 0;
    csv_reader r = {copy, copy + len, 1};
    csv_row head, row;
    int rc = next_row(&r, &head, err, errcap);
    int col[CSV_COLUMNS_MAX];
    if (rc == 0) snprintf(err, errcap, "line 1: no header row");
    if (rc <= 0) return free(copy), RU_EINVAL;
    bool seen[N_COLUMNS] = {false};
    for (size_t i = 0; i < head.n; i++) {
        char *name = head.field[i];
        while (*name == ' ') name++;
        for (size_t k = strlen(name); k && name[k - 1] == ' '; k--) name[k - 1] = 0;
        col[i] = column_of(name);
        if (col[i] < 0 || seen[col[i]]) {
            snprintf(err, errcap, "line %zu, column %zu (%s): %s", head.line, i + 1, name,
                     col[i] < 0 ? "not a column of risk units" : "named twice");
            return free(copy), RU_EINVAL;
        }
        seen[col[i]] = true;
    }
    ru_unit *units = NULL;
    size_t n = 0, cap = 0;
    int status = 0;
    while (!status && (rc = next_row(&r, &row, err, errcap)) > 0) {
        if (row.n != head.n) {
            snprintf(err, errcap, "line %zu: %zu fields, the header names %zu", row.line, row.n,
                     head.n);
            status = RU_EINVAL;
            break;
        }
        if (n == RU_IMPORT_ROWS_MAX) {
            snprintf(err, errcap, "line %zu: more than %d rows", row.line, RU_IMPORT_ROWS_MAX);
            status = RU_EINVAL;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            ru_unit *nu = realloc(units, cap * sizeof *nu);
            if (!nu) {
                snprintf(err, errcap, "out of memory");
                status = RU_EIO;
                break;
            }
            units = nu;
        }
        json_t *o = NULL;
        size_t bad_col = 0;
        char why[256];
        if (row_object(&row, col, head.n, &o, &bad_col, why, sizeof why) != 0) {
            snprintf(err, errcap, "line %zu, column %zu (%s): %s", row.line, bad_col + 1,
                     columns[col[bad_col]], why);
            status = RU_EINVAL;
            break;
        }
        const char *field = NULL;
        int prc = ru_unit_parse(o, ru_store_bands(ru), &units[n], &field, why, sizeof why);
        json_decref(o);
        n++;
        for (size_t k = 0; !prc && k + 1 < n; k++)
            if (!strcmp(units[k].id, units[n - 1].id)) {
                field = "id";
                snprintf(why, sizeof why, "id: %s is on an earlier line too", units[k].id);
                prc = -1;
            }
        if (prc) {
            size_t c = 0;
            while (c < head.n && field && strcmp(columns[col[c]], field) &&
                   !(!strcmp(field, "geometry") && !strcmp(columns[col[c]], "lon")))
                c++;
            if (c < head.n && field)
                snprintf(err, errcap, "line %zu, column %zu (%s): %s", row.line, c + 1,
                         columns[col[c]], why);
            else
                snprintf(err, errcap, "line %zu: %s", row.line, why);
            status = RU_EINVAL;
        }
    }
    if (!status && rc < 0) status = RU_EINVAL;
    if (!status && !n) {
        snprintf(err, errcap, "no rows after the header");
        status = RU_EINVAL;
    }
    free(copy);
    if (status) {
        for (size_t i = 0; i < n; i++) ru_unit_release(&units[i]);
        free(units);
        return status;
    }
    status = ru_store_apply(ru, units, n, by, only_enterprise, now_ms, err, errcap);
    free(units); /* their contents are the store's now (or released) */
    if (!status) *imported = n;
    return status;
}
