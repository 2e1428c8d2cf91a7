/*
 * api.c: the query layer's public API (include/datom.h, "Datalog"): datom_q
 * and datom_q_explain, thin wrappers of query.h's dt_q_text. The result
 * lives in its own document, owned by the datom_value handed out (db/api.h).
 */
#include <stdlib.h>
#include <string.h>

#include "db/api.h"
#include "query/query.h"

static dt_q_text_input *text_inputs(const datom_input *inputs, size_t n)
{
    dt_q_text_input *in = dt_calloc(n ? n : 1, sizeof *in);
    for (size_t i = 0; i < n; i++) {
        in[i].db = inputs[i].db ? dt_api_db(inputs[i].db) : NULL;
        in[i].edn = inputs[i].edn ? inputs[i].edn : "nil";
        in[i].len = strlen(in[i].edn);
    }
    return in;
}

int datom_q(const char *query, const datom_input *inputs, size_t n_inputs, const datom_q_options *opts,
            datom_value **out)
{
    *out = NULL;
    if (!query)
        return dt_error(DATOM_EINVAL, "query: none given");
    dt_q_opts o = {0};
    if (opts)
        o = (dt_q_opts){.seed = opts->seed, .timeout_ms = opts->timeout_ms, .max_bytes = opts->max_bytes};
    dt_q_text_input *in = text_inputs(inputs, n_inputs);
    dt_edn_doc *doc = dt_edn_doc_new();
    const dt_edn_value *v;
    int rc = dt_q_text(query, strlen(query), in, n_inputs, &o, doc, &v, NULL);
    free(in);
    if (rc) {
        dt_edn_doc_free(doc);
        return rc;
    }
    *out = dt_api_value(doc, *v);
    return 0;
}

int datom_q_explain(const char *query, const datom_input *inputs, size_t n_inputs, char **out)
{
    *out = NULL;
    if (!query)
        return dt_error(DATOM_EINVAL, "query: none given");
    dt_q_opts o = {.explain = true};
    dt_q_text_input *in = text_inputs(inputs, n_inputs);
    int rc = dt_q_text(query, strlen(query), in, n_inputs, &o, NULL, NULL, out);
    free(in);
    return rc;
}
