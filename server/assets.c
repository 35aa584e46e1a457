/* assets.c - serves the upload page and its files, compiled in from web/. */
#include "server/server.h"

#include <string.h>

int asset_serve(const http_request *rq, const char *path)
{
    if (!strcmp(path, "/") || path[0] == '\0')
        path = "/index.html";
    for (size_t i = 0; i < web_assets_count; i++)
        if (!strcmp(web_assets[i].path, path))
            return http_send(rq, 200, web_assets[i].content_type, web_assets[i].data,
                             web_assets[i].len);
    return http_send_error(rq, 404, "not_found", "no route for %s", path);
}
