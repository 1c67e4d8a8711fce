/*
 * static.c - the dashboard's files, served at / from the static directory.
 */
#include "api/internal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *mime_of(const char *path) {
    const char *dot = strrchr(path, '.');
    static const char *const map[][2] = {{".html", "text/html; charset=utf-8"},
                                         {".js", "text/javascript; charset=utf-8"},
                                         {".mjs", "text/javascript; charset=utf-8"},
                                         {".css", "text/css; charset=utf-8"},
                                         {".json", "application/json"},
                                         {".geojson", "application/geo+json"},
                                         {".svg", "image/svg+xml"},
                                         {".png", "image/png"},
                                         {".jpg", "image/jpeg"},
                                         {".ico", "image/x-icon"},
                                         {".woff2", "font/woff2"},
                                         {".wav", "audio/wav"},
                                         {".map", "application/json"}};
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(dot, map[i][0])) return map[i][1];
    return "application/octet-stream";
}

enum MHD_Result api_h_static(req *r, struct MHD_Connection *c, const char *url) {
    api_server *s = r->srv;
    if (!s->static_dir) return api_send_error(r, c, 404, "not_found", "no dashboard is installed");
    /* The target must be a path: "-x/f" (or "", from "%00") would name
     * "<static_dir>-x/f", a file beside the dashboard's directory. */
    if (url[0] != '/' || strstr(url, "..") || strchr(url, '\\') || strlen(url) > 512)
        return api_send_error(r, c, 404, "not_found", "no such file");
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", s->static_dir, url,
             url[strlen(url) - 1] == '/' ? "index.html" : "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0) close(fd);
        return api_send_error(r, c, 404, "not_found", "no such file");
    }
    /* "no-cache" makes the browser ask each time; the validator lets the
     * answer be a bodyless 304 when the file has not changed (a dashboard
     * reload on the closed park network costs one round trip a file). */
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)sb.st_size,
             (unsigned long long)sb.st_mtim.tv_sec, (unsigned long)sb.st_mtim.tv_nsec);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    bool fresh = inm && (strstr(inm, etag) || !strcmp(inm, "*"));
    struct MHD_Response *resp =
        fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
              : MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (fresh || !resp) close(fd);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "ETag", etag);
    return api_queue_resp(r, c, fresh ? 304 : 200, resp, fresh ? NULL : mime_of(path), "no-cache",
                          true);
}
