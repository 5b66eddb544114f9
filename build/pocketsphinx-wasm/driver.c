/*
 * The C API the stt service's WebAssembly decoder calls (services/stt/wasmDecoder.ts): thin wrappers
 * over pocketsphinx 5prealpha (Debian 0.8+5prealpha+1), so that each step the engine takes is one
 * crossing from JavaScript. The raw ps_* calls that need no wrapping (ps_start_utt, ps_process_raw,
 * ps_end_utt, ps_get_n_frames, ps_get_prob, ps_add_word, ps_free) are exported as they are (build.sh, EXPORTS).
 * The native backend (services/stt/nativeDecoder.ts) makes the same calls through koffi.
 */
#include <stdio.h>
#include <string.h>
#include <emscripten.h>
#include <pocketsphinx.h>
#include <sphinxbase/ckd_alloc.h>
#include <sphinxbase/err.h>
#include <sphinxbase/fsg_model.h>

/* cmd_ln_parse_r + ps_init; NULL when pocketsphinx refuses the arguments or cannot load the model.
 * Logging is off (hundreds of lines per utterance, and "-logfn /dev/null" does not exist on Windows);
 * pass "-logfn <file>" to get it back while debugging. */
EMSCRIPTEN_KEEPALIVE ps_decoder_t *psw_init(int argc, char **argv)
{
    err_set_logfp(NULL);
    cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
    if (config == NULL)
        return NULL;
    ps_decoder_t *ps = ps_init(config);
    /* ps_init holds its own reference (cmd_ln_retain), or released it on failure */
    cmd_ln_free_r(config);
    return ps;
}

static int select_search(ps_decoder_t *ps, char const *name, int rv)
{
    return rv < 0 ? -1 : (ps_set_search(ps, name) < 0 ? -2 : 0);
}

/* ps_set_jsgf_string + ps_set_search: -1 grammar refused (the previous search of that name stays), -2 no such search */
EMSCRIPTEN_KEEPALIVE int psw_set_jsgf(ps_decoder_t *ps, char const *name, char const *jsgf)
{
    return select_search(ps, name, ps_set_jsgf_string(ps, name, jsgf));
}

/* ps_set_allphone_file + ps_set_search: a free phone loop weighted by the phone language model at `path` */
EMSCRIPTEN_KEEPALIVE int psw_set_allphone(ps_decoder_t *ps, char const *name, char const *path)
{
    return select_search(ps, name, ps_set_allphone_file(ps, name, path));
}

/* ps_set_keyphrase + ps_set_search: keyword spotting; the kws search reads -kws_threshold from the
 * decoder's configuration when it is created, so the threshold is set there first */
EMSCRIPTEN_KEEPALIVE int psw_set_keyphrase(ps_decoder_t *ps, char const *name, char const *phrase, double threshold)
{
    cmd_ln_set_float_r(ps_get_config(ps), "-kws_threshold", threshold);
    return select_search(ps, name, ps_set_keyphrase(ps, name, phrase));
}

/* A grammar in pocketsphinx's FSG text format, read from `path` (fsg_model_readfile, scaled by the
 * decoder's -lw), + ps_set_fsg + ps_set_search. `fillers` lists the self-loops the search must treat
 * as filler words (no cross-word context, left out of the hypothesis), one "state word prob" per
 * line: the text format cannot say so, fsg_model_add_silence marks them. -1 grammar refused (the
 * previous search of that name stays), -2 no such search. */
EMSCRIPTEN_KEEPALIVE int psw_set_fsg(ps_decoder_t *ps, char const *name, char const *path, char const *fillers)
{
    fsg_model_t *fsg = fsg_model_readfile(path, ps_get_logmath(ps), cmd_ln_float32_r(ps_get_config(ps), "-lw"));
    if (fsg == NULL)
        return -1;
    char word[256];
    int state, used;
    float prob;
    for (char const *p = fillers; sscanf(p, "%d %255s %f%n", &state, word, &prob, &used) == 3; p += used)
        fsg_model_add_silence(fsg, word, state, prob);
    /* ps_set_fsg keeps a reference of its own */
    int rv = ps_set_fsg(ps, name, fsg);
    fsg_model_free(fsg);
    return select_search(ps, name, rv);
}

/* ps_get_hyp: the hypothesis (or NULL) and its path score in *out_score */
EMSCRIPTEN_KEEPALIVE char const *psw_hyp(ps_decoder_t *ps, int *out_score)
{
    int32 score = 0;
    char const *hyp = ps_get_hyp(ps, &score);
    *out_score = score;
    return hyp;
}

/* The best path's word segments (ps_seg_iter), one per line: "word\tstart\tend\tprob\tascr\tlscr\tlback\n"
 * (frames, log-domain integers as ps_seg_prob gives them). The text lives until the next call. */
static char *segments;
static size_t segments_size;

EMSCRIPTEN_KEEPALIVE char const *psw_segments(ps_decoder_t *ps)
{
    size_t used = 0;
    if (segments == NULL) {
        segments_size = 4096;
        segments = ckd_malloc(segments_size);
    }
    segments[0] = '\0';
    for (ps_seg_t *seg = ps_seg_iter(ps); seg != NULL; seg = ps_seg_next(seg)) {
        int sf, ef;
        int32 ascr, lscr, lback;
        char const *word = ps_seg_word(seg);
        ps_seg_frames(seg, &sf, &ef);
        int32 prob = ps_seg_prob(seg, &ascr, &lscr, &lback);
        for (;;) {
            int n = snprintf(segments + used, segments_size - used, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n",
                             word, sf, ef, prob, ascr, lscr, lback);
            if (n >= 0 && (size_t)n < segments_size - used) {
                used += n;
                break;
            }
            segments_size *= 2;
            segments = ckd_realloc(segments, segments_size);
        }
    }
    return segments;
}
