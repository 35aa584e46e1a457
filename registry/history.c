/*
 * history.c - the version history: a bare git repository,
 * <data dir>/versions.git, written with libgit2. Each version is one commit
 * on refs/heads/main that replaces tasks/<task_id>/ with manifest.json and
 * the version's small public artifacts, and an annotated tag <task_id>/v<N>.
 * Writers serialize on an flock (versions.git/zkml.lock), so two workers
 * never race on the branch, and a git lock file found under it is a killed
 * writer's and is removed; the tag makes a commit idempotent.
 */
#include "registry/registry.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

enum { MAX_ARTIFACT_BYTES = 16 * 1024 * 1024 };

static const char branch_ref[] = "refs/heads/main";

static int git_fail(zkml_error *err, const char *what)
{
    const git_error *e = git_error_last();
    return zkml_fail(err, ZKML_EIO, "versions.git: %s: %s", what,
                     e && e->message ? e->message : "unknown libgit2 error");
}

static int repo_path(const char *data_dir, char *out, size_t len, zkml_error *err)
{
    return zkml_path_join(out, len, data_dir, "versions.git", err);
}

/* Opens the repository, creating it (bare, HEAD -> main) when create is set.
 * ZKML_ENOTFOUND when it does not exist and create is not set. */
static int open_repo(const char *data_dir, int create, git_repository **repo, zkml_error *err)
{
    char path[4200];
    int rc = repo_path(data_dir, path, sizeof path, err);
    if (rc)
        return rc;
    if (git_repository_open_bare(repo, path) == 0)
        return 0;
    if (!create)
        return zkml_fail(err, ZKML_ENOTFOUND, "%s: no version history yet", path);
    git_repository_init_options opts;
    git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    opts.initial_head = "main";
    opts.description = "zkml-registry model versions";
    if (git_repository_init_ext(repo, path, &opts) != 0)
        return git_fail(err, "creating the repository");
    return 0;
}

static int tag_name(char *out, size_t len, const char *task_id, int version, zkml_error *err)
{
    if (zkml_task_id_check(task_id, err))
        return zkml_error_prefix(err, "history");
    if (version < 1)
        return zkml_fail(err, ZKML_EINVAL, "history: version %d is not a version number", version);
    snprintf(out, len, "%s/v%d", task_id, version);
    return 0;
}

/* ---- the manifest -------------------------------------------------------- */

/* Reads an artifact as JSON; NULL when the file is absent. */
static int read_json(const char *dir, zkml_artifact_id id, cJSON **out, zkml_error *err)
{
    char path[4200];
    uint8_t *data;
    size_t len;
    *out = NULL;
    int rc = zkml_artifact_path(path, sizeof path, dir, id, err);
    if (!rc)
        rc = zkml_read_file(path, MAX_ARTIFACT_BYTES, &data, &len, err);
    if (rc == ZKML_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    *out = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!*out)
        return zkml_fail(err, ZKML_EINVAL, "%s: not valid JSON", path);
    return 0;
}

/* The top-level numbers, strings and booleans of a JSON object: a summary
 * that stays small whatever the step writes. NULL (JSON null) for none. */
static cJSON *scalar_summary(const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return cJSON_CreateNull();
    cJSON *out = cJSON_CreateObject();
    for (const cJSON *it = obj ? obj->child : NULL; out && it; it = it->next)
        if (cJSON_IsNumber(it) || cJSON_IsString(it) || cJSON_IsBool(it)) {
            cJSON *copy = cJSON_Duplicate(it, 0);
            if (!copy || !cJSON_AddItemToObject(out, it->string, copy)) {
                cJSON_Delete(copy);
                cJSON_Delete(out);
                return NULL;
            }
        }
    return out;
}

static int hash_hex(const char *dir, zkml_artifact_id id, char hex[65], zkml_error *err)
{
    char path[4200];
    uint8_t h[32];
    hex[0] = 0;
    int rc = zkml_artifact_path(path, sizeof path, dir, id, err);
    if (!rc && !zkml_file_exists(path))
        return 0;
    if (!rc)
        rc = zkml_sha256_file(path, h, err);
    for (int i = 0; !rc && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    return rc;
}

static void put(cJSON *obj, const char *key, cJSON *value, int *ok)
{
    if (!value || !cJSON_AddItemToObject(obj, key, value)) {
        cJSON_Delete(value);
        *ok = 0;
    }
}

/* The IPFS CIDv0 of dir's model (the manifest names the model by it too). */
static int model_cid_of(const char *dir, char cid[ZKML_CID_MAX], zkml_error *err)
{
    char path[4200];
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_MODEL, err);
    return rc ? rc : zkml_cid_file(path, cid, err);
}

static cJSON *string_or_null(const char *s)
{
    return s && s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* tasks/<task>/manifest.json for the version in dir; *text is malloc'ed. */
static int build_manifest(const char *task_id, int version, const char *dir, char **text,
                          zkml_error *err)
{
    char model_hash[65], vk_hash[65], model_cid[ZKML_CID_MAX], uri[ZKML_CID_MAX + 8];
    cJSON *settings = NULL, *calibration = NULL, *proof = NULL, *pub = NULL, *chain = NULL;
    int rc = hash_hex(dir, ZKML_A_MODEL, model_hash, err);
    if (!rc && !model_hash[0])
        rc =
            zkml_fail(err, ZKML_ENOTFOUND, "%s/%s: missing", dir, zkml_artifact_name(ZKML_A_MODEL));
    if (!rc)
        rc = model_cid_of(dir, model_cid, err);
    if (!rc)
        rc = hash_hex(dir, ZKML_A_VK, vk_hash, err);
    if (!rc)
        rc = read_json(dir, ZKML_A_SETTINGS, &settings, err);
    if (!rc)
        rc = read_json(dir, ZKML_A_CALIBRATION, &calibration, err);
    if (!rc)
        rc = read_json(dir, ZKML_A_PROOF, &proof, err);
    if (!rc)
        rc = read_json(dir, ZKML_A_PUBLIC, &pub, err);
    if (!rc)
        rc = read_json(dir, ZKML_A_CHAIN, &chain, err);
    cJSON *m = rc ? NULL : cJSON_CreateObject();
    int ok = m != NULL;
    if (m) {
        const cJSON *addr = cJSON_GetObjectItemCaseSensitive(chain, "verifier_address");
        put(m, "task_id", cJSON_CreateString(task_id), &ok);
        put(m, "version", cJSON_CreateNumber(version), &ok);
        put(m, "model_hash", string_or_null(model_hash), &ok);
        put(m, "model_cid", cJSON_CreateString(model_cid), &ok);
        snprintf(uri, sizeof uri, "ipfs://%s", model_cid);
        put(m, "uri", cJSON_CreateString(uri), &ok);
        put(m, "vk_hash", string_or_null(vk_hash), &ok);
        put(m, "settings", scalar_summary(settings), &ok);
        put(m, "calibration", scalar_summary(calibration), &ok);
        put(m, "proof", proof ? proof : cJSON_CreateNull(), &ok);
        proof = NULL; /* owned by m now */
        put(m, "public", pub ? pub : cJSON_CreateNull(), &ok);
        pub = NULL;
        put(m, "verifier_address", string_or_null(cJSON_GetStringValue(addr)), &ok);
        *text = ok ? cJSON_Print(m) : NULL;
        if (!*text)
            rc = zkml_fail(err, ZKML_ENOMEM, "history: out of memory building the manifest");
    }
    cJSON_Delete(m);
    cJSON_Delete(settings);
    cJSON_Delete(calibration);
    cJSON_Delete(proof);
    cJSON_Delete(pub);
    cJSON_Delete(chain);
    return rc;
}

/* ---- trees and the commit ------------------------------------------------ */

static int insert_blob(git_repository *repo, git_treebuilder *tb, const char *name,
                       const void *data, size_t len, zkml_error *err)
{
    git_oid oid;
    if (git_blob_create_from_buffer(&oid, repo, data, len) != 0 ||
        git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_BLOB) != 0)
        return git_fail(err, name);
    return 0;
}

/* The tree of tasks/<task>/: the manifest and the artifacts present. */
static int build_task_tree(git_repository *repo, const char *dir, const char *manifest,
                           git_oid *out, zkml_error *err)
{
    git_treebuilder *tb;
    if (git_treebuilder_new(&tb, repo, NULL) != 0)
        return git_fail(err, "creating a tree");
    int rc = insert_blob(repo, tb, "manifest.json", manifest, strlen(manifest), err);
    /* Only public artifacts: a history is pushed and cloned, so it must hold
     * neither the model nor the private data. */
    for (int i = 0; !rc && i < ZKML_A_COUNT; i++) {
        const zkml_artifact *a = zkml_artifact_get((zkml_artifact_id)i);
        char path[4200];
        uint8_t *data;
        size_t len;
        if (a->visibility != ZKML_PUBLIC)
            continue;
        rc = zkml_path_join(path, sizeof path, dir, a->name, err);
        if (!rc)
            rc = zkml_read_file(path, MAX_ARTIFACT_BYTES, &data, &len, err);
        if (rc == ZKML_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (!rc) {
            rc = insert_blob(repo, tb, a->name, data, len, err);
            free(data);
        }
    }
    if (!rc && git_treebuilder_write(out, tb) != 0)
        rc = git_fail(err, "writing a tree");
    git_treebuilder_free(tb);
    return rc;
}

/* A copy of parent's tree (or an empty one) with name set to the tree oid. */
static int replace_subtree(git_repository *repo, const git_tree *parent, const char *name,
                           const git_oid *subtree, git_oid *out, zkml_error *err)
{
    git_treebuilder *tb;
    if (git_treebuilder_new(&tb, repo, parent) != 0)
        return git_fail(err, "copying a tree");
    int rc = 0;
    if (git_treebuilder_insert(NULL, tb, name, subtree, GIT_FILEMODE_TREE) != 0 ||
        git_treebuilder_write(out, tb) != 0)
        rc = git_fail(err, "writing a tree");
    git_treebuilder_free(tb);
    return rc;
}

/* The root tree: the parent's with tasks/<task_id> replaced. */
static int build_root_tree(git_repository *repo, git_commit *parent, const char *task_id,
                           const git_oid *task_tree, git_oid *out, zkml_error *err)
{
    git_tree *root = NULL, *tasks = NULL;
    int rc = 0;
    if (parent && git_commit_tree(&root, parent) != 0)
        return git_fail(err, "reading the last commit's tree");
    const git_tree_entry *e = root ? git_tree_entry_byname(root, "tasks") : NULL;
    if (e && git_tree_lookup(&tasks, repo, git_tree_entry_id(e)) != 0)
        rc = git_fail(err, "reading tasks/");
    git_oid tasks_oid;
    if (!rc)
        rc = replace_subtree(repo, tasks, task_id, task_tree, &tasks_oid, err);
    if (!rc)
        rc = replace_subtree(repo, root, "tasks", &tasks_oid, out, err);
    git_tree_free(tasks);
    git_tree_free(root);
    return rc;
}

/* The tip of main, or NULL on the first commit. */
static int branch_tip(git_repository *repo, git_commit **tip, zkml_error *err)
{
    git_oid oid;
    *tip = NULL;
    int r = git_reference_name_to_id(&oid, repo, branch_ref);
    if (r == GIT_ENOTFOUND)
        return 0;
    if (r != 0 || git_commit_lookup(tip, repo, &oid) != 0)
        return git_fail(err, "reading refs/heads/main");
    return 0;
}

static int commit_and_tag(git_repository *repo, const char *task_id, int version, const char *tag,
                          const char *dir, zkml_error *err)
{
    char *manifest = NULL, message[256];
    git_commit *tip = NULL, *made = NULL;
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_oid task_tree, root_tree, commit_oid, tag_oid;
    snprintf(message, sizeof message, "%s\n\nmodel version %d of task %s\n", tag, version, task_id);
    int rc = build_manifest(task_id, version, dir, &manifest, err);
    if (!rc)
        rc = branch_tip(repo, &tip, err);
    /* A crash between the commit and its tag leaves the commit at the tip: reuse it. */
    if (!rc && tip && !strncmp(git_commit_summary(tip), tag, strlen(tag) + 1)) {
        git_oid_cpy(&commit_oid, git_commit_id(tip));
    } else if (!rc) {
        rc = build_task_tree(repo, dir, manifest, &task_tree, err);
        if (!rc)
            rc = build_root_tree(repo, tip, task_id, &task_tree, &root_tree, err);
        if (!rc && (git_signature_now(&sig, "zkml-registry", "zkml-registry@localhost") != 0 ||
                    git_tree_lookup(&tree, repo, &root_tree) != 0))
            rc = git_fail(err, "preparing the commit");
        const git_commit *parents[1] = {tip};
        if (!rc && git_commit_create(&commit_oid, repo, branch_ref, sig, sig, "UTF-8", message,
                                     tree, tip ? 1 : 0, parents) != 0)
            rc = git_fail(err, "committing");
    }
    if (!rc && !sig && git_signature_now(&sig, "zkml-registry", "zkml-registry@localhost") != 0)
        rc = git_fail(err, "preparing the tag");
    if (!rc && git_commit_lookup(&made, repo, &commit_oid) != 0)
        rc = git_fail(err, "reading the new commit");
    if (!rc && git_tag_create(&tag_oid, repo, tag, (const git_object *)made, sig, message, 0))
        rc = git_fail(err, "tagging");
    git_commit_free(made);
    git_tree_free(tree);
    git_signature_free(sig);
    git_commit_free(tip);
    free(manifest);
    return rc;
}

/* Holds versions.git/zkml.lock while one process writes the history. */
static int lock_history(git_repository *repo, int *fd, zkml_error *err)
{
    char path[4200];
    int rc = zkml_path_join(path, sizeof path, git_repository_path(repo), "zkml.lock", err);
    if (rc)
        return rc;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
        if (*fd >= 0)
            close(*fd);
        return zkml_fail(err, ZKML_EIO, "%s: cannot lock", path);
    }
    return 0;
}

/* Under our lock no other writer exists, so a git lock file is what a killed
 * writer left: libgit2 would refuse every later update of that ref. */
static int remove_stale_locks(git_repository *repo, const char *tag, zkml_error *err)
{
    char names[3][STORE_TASK_ID_MAX + 48], path[4400];
    snprintf(names[0], sizeof names[0], "%s.lock", branch_ref);
    snprintf(names[1], sizeof names[1], "packed-refs.lock");
    snprintf(names[2], sizeof names[2], "refs/tags/%s.lock", tag);
    for (int i = 0; i < 3; i++) {
        int rc = zkml_path_join(path, sizeof path, git_repository_path(repo), names[i], err);
        if (rc)
            return rc;
        if (unlink(path) == 0)
            fprintf(stderr, "zkml-registry: removed %s, left by a crashed writer\n", path);
    }
    return 0;
}

int history_commit_version(const char *data_dir, const char *task_id, int version,
                           const char *version_dir, zkml_error *err)
{
    char tag[STORE_TASK_ID_MAX + 16], ref[STORE_TASK_ID_MAX + 32];
    int rc = tag_name(tag, sizeof tag, task_id, version, err);
    if (rc)
        return rc;
    snprintf(ref, sizeof ref, "refs/tags/%s", tag);
    if (git_libgit2_init() < 0)
        return git_fail(err, "initializing libgit2");
    git_repository *repo = NULL;
    int lock = -1;
    rc = open_repo(data_dir, 1, &repo, err);
    if (!rc)
        rc = lock_history(repo, &lock, err);
    if (!rc)
        rc = remove_stale_locks(repo, tag, err);
    git_reference *existing = NULL;
    if (!rc && git_reference_lookup(&existing, repo, ref) != 0)
        rc = commit_and_tag(repo, task_id, version, tag, version_dir, err);
    git_reference_free(existing);
    if (lock >= 0)
        close(lock);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}

/* ---- reading ------------------------------------------------------------- */

/* The version number of a tag "<task_id>/v<N>", or 0 if it is not one. */
static int tag_version(const char *tag, const char *task_id)
{
    size_t n = strlen(task_id);
    if (strncmp(tag, task_id, n) || strncmp(tag + n, "/v", 2))
        return 0;
    const char *p = tag + n + 2;
    long v = 0;
    for (; *p >= '0' && *p <= '9' && v < 1000000000; p++)
        v = v * 10 + (*p - '0');
    return *p || p == tag + n + 2 ? 0 : (int)v;
}

/* One entry of the versions list, from the tagged commit's manifest. */
static int describe_version(git_repository *repo, const char *task_id, const char *tag, int version,
                            cJSON *list, zkml_error *err)
{
    char ref[STORE_TASK_ID_MAX + 32], path[STORE_TASK_ID_MAX + 32], hex[GIT_OID_HEXSZ + 1];
    git_object *obj = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    git_tree_entry *entry = NULL;
    git_blob *blob = NULL;
    cJSON *manifest = NULL;
    snprintf(ref, sizeof ref, "refs/tags/%s", tag);
    snprintf(path, sizeof path, "tasks/%s/manifest.json", task_id);
    int rc = 0;
    if (git_revparse_single(&obj, repo, ref) != 0 ||
        git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT) != 0 ||
        git_commit_tree(&tree, commit) != 0)
        return git_fail(err, tag);
    if (git_tree_entry_bypath(&entry, tree, path) == 0 &&
        git_blob_lookup(&blob, repo, git_tree_entry_id(entry)) == 0)
        manifest = cJSON_ParseWithLength(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    git_oid_tostr(hex, sizeof hex, git_commit_id(commit));
    cJSON *v = cJSON_CreateObject();
    int ok = v && cJSON_AddItemToArray(list, v);
    if (!ok)
        cJSON_Delete(v);
    if (ok) {
        put(v, "version", cJSON_CreateNumber(version), &ok);
        put(v, "tag", cJSON_CreateString(tag), &ok);
        put(v, "commit", cJSON_CreateString(hex), &ok);
        put(v, "committed_at", cJSON_CreateNumber((double)git_commit_time(commit)), &ok);
        put(v, "model_hash",
            string_or_null(
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(manifest, "model_hash"))),
            &ok);
        put(v, "model_cid",
            string_or_null(
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(manifest, "model_cid"))),
            &ok);
        put(v, "vk_hash",
            string_or_null(
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(manifest, "vk_hash"))),
            &ok);
    }
    if (!ok)
        rc = zkml_fail(err, ZKML_ENOMEM, "history: out of memory");
    cJSON_Delete(manifest);
    git_blob_free(blob);
    git_tree_entry_free(entry);
    git_tree_free(tree);
    git_commit_free(commit);
    git_object_free(obj);
    return rc;
}

static int by_version(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Appends the task's tagged versions, oldest first. */
static int list_versions(git_repository *repo, const char *task_id, cJSON *list, zkml_error *err)
{
    char pattern[STORE_TASK_ID_MAX + 8];
    git_strarray tags = {0};
    snprintf(pattern, sizeof pattern, "%s/v*", task_id);
    if (git_tag_list_match(&tags, pattern, repo) != 0)
        return git_fail(err, "listing tags");
    /* pairs (version, index into tags) sorted by version */
    int *order = calloc(tags.count ? tags.count : 1, 2 * sizeof *order);
    size_t n = 0;
    int rc = order ? 0 : zkml_fail(err, ZKML_ENOMEM, "history: out of memory");
    for (size_t i = 0; !rc && i < tags.count; i++) {
        int v = tag_version(tags.strings[i], task_id);
        if (v > 0) {
            order[2 * n] = v;
            order[2 * n + 1] = (int)i;
            n++;
        }
    }
    if (!rc)
        qsort(order, n, 2 * sizeof *order, by_version);
    for (size_t i = 0; !rc && i < n; i++)
        rc = describe_version(repo, task_id, tags.strings[order[2 * i + 1]], order[2 * i], list,
                              err);
    free(order);
    git_strarray_dispose(&tags);
    return rc;
}

int history_task_versions_json(const char *data_dir, const char *task_id, char **json,
                               zkml_error *err)
{
    *json = NULL;
    if (zkml_task_id_check(task_id, err))
        return ZKML_EINVAL;
    if (git_libgit2_init() < 0)
        return git_fail(err, "initializing libgit2");
    git_repository *repo = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_AddArrayToObject(root, "versions") : NULL;
    int rc = list && cJSON_AddStringToObject(root, "task_id", task_id)
                 ? 0
                 : zkml_fail(err, ZKML_ENOMEM, "history: out of memory");
    if (!rc) {
        rc = open_repo(data_dir, 0, &repo, err);
        if (rc == ZKML_ENOTFOUND)
            rc = 0; /* no history yet: an empty list */
        else if (!rc)
            rc = list_versions(repo, task_id, list, err);
    }
    if (!rc && !(*json = cJSON_PrintUnformatted(root)))
        rc = zkml_fail(err, ZKML_ENOMEM, "history: out of memory");
    cJSON_Delete(root);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}
