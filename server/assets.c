/*
 * assets.c - serves the web app, compiled in from its build (embed_web.cmake).
 * The app is a single-page app: a page path it owns ("/tasks/iris") has no
 * file, so it gets index.html and the app's router draws the page. Only the
 * app's own files (/_app/...) answer 404 when missing, so a stale chunk name
 * fails loudly instead of being answered with HTML.
 */
#include "server/server.h"

#include <string.h>

static const web_asset *find_asset(const char *path)
{
    for (size_t i = 0; i < web_assets_count; i++)
        if (!strcmp(web_assets[i].path, path))
            return &web_assets[i];
    return NULL;
}

int asset_serve(const http_request *rq, const char *path)
{
    const web_asset *a = find_asset(path);
    if (!a && strncmp(path, "/_app/", 6) != 0)
        a = find_asset("/index.html");
    if (!a)
        return http_send_error(rq, 404, "not_found", "no route for %s", path);
    return http_send(rq, 200, a->content_type, a->data, a->len);
}
