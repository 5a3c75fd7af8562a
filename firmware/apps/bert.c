/* BERT encoder on the accelerator: compiles the model of fw_bert_args_t into descriptors.
 *
 * Every op runs on the accelerator's units: the embedding gather (one LOAD per token row of the
 * word-embedding table) and sums, Q/K/V projections, Q.K^T, softmax (scale, padding mask, top-k,
 * DynaTran), P.V, the output projection, residual adds, layer norms, the FFN with GELU, and the
 * pooler with tanh. DynaTran is applied where the AccelTran paper says (PRUNE flags), never to embeddings
 * or layer-norm outputs.
 *
 * Memory: the sequences of the batch are processed in groups that fit the activation buffer (the
 * whole batch when it fits). Weights go through the weight buffer as a ring. When a layer's
 * weights fit half the ring, the next layer's are loaded while this one computes (their LOADs
 * are emitted before this layer's ops, so they issue at once and stream meanwhile); the hardware's
 * hazard tracking keeps a region from being overwritten while it is read. A layer too large for
 * that streams each linear's weights in column tiles, loaded just before the matmul that uses
 * them, sized by the driver's GEMM planner (acc_gemm_plan: activations on chip, weights through
 * the ring). Heads of a layer run concurrently: each (sequence, head) pair has its own score,
 * softmax and context ops on disjoint regions. */
#include "acc_driver.h"
#include "fw_bert.h"
#include "fw_job.h"
#include "hal.h"

typedef struct bert {
  acc_dev_t *dev;
  const fw_bert_args_t *a;
  const fw_bert_layer_t *layers;
  uint32_t S, H;           /* sequence length, the embeddings' hidden size (layer 0's) */
  uint32_t H_out;          /* the encoder output's hidden size (the last layer's) */
  uint32_t ring, ring_end; /* weight ring: next free word, size */
  /* Activation plan (word indices in the activation buffer). */
  uint32_t pos, x, t1, t2, q, k, v, ctx, tmp, sc, ffa, ffb, pool;
  /* FW_BERT_SCALED (int8, int16): the tensors' fraction bits; null in the qM.N formats. */
  const fw_bert_scales_t *scales;
  const fw_bert_layer_scales_t *layer_scales;
} bert_t;

static const acc_operand_t kNone = {0, 0, 0};

static acc_operand_t act(uint32_t addr, uint32_t stride) {
  acc_operand_t o = {ACC_BUF_ACT, addr, stride};
  return o;
}
static acc_operand_t wgt(uint32_t addr, uint32_t stride) {
  acc_operand_t o = {ACC_BUF_WGT, addr, stride};
  return o;
}
static uint32_t min_u(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t max_u(uint32_t a, uint32_t b) { return a > b ? a : b; }

/* `words` contiguous words of the weight ring. */
static uint32_t ring_alloc(bert_t *b, uint32_t words) {
  if (b->ring + words > b->ring_end) b->ring = 0;
  const uint32_t at = b->ring;
  b->ring += words;
  return at;
}

/* A 1 x n parameter vector into the ring. */
static uint32_t load_vector(bert_t *b, uint32_t pa, uint32_t n) {
  const uint32_t at = ring_alloc(b, n);
  acc_load(b->dev, ACC_BUF_WGT, at, n, pa, 4u * n, 1, n);
  return at;
}

/* A linear layer y[rows x n] = act(prune(x[rows x k] . W + bias)): W is k x n in DRAM (rows of
 * w_ld words) with its bias; in the ring it takes column tiles of nt columns, each kc x nc values
 * followed by its nc biases. With ACC_MATMUL_NM_WEIGHTS, W is N:M compressed: kc = ceil(k/M)*N
 * rows of value+index words. */
typedef struct linear {
  uint32_t k, n, kc, w_pa, w_ld, b_pa, flags, tag;
  uint32_t bias;    /* 1: a bias row follows the values (b_pa) */
  uint32_t nt;      /* columns per tile */
  uint32_t ring;    /* ring address of the first tile, when loaded ahead */
  uint32_t loaded;  /* 1: loaded ahead (all tiles, contiguous at `ring`) */
  uint32_t scale;   /* per-tensor formats: the MATMULs' scale fields (acc_matmul_scale) */
} linear_t;

static linear_t make_linear(const bert_t *b, uint32_t k, uint32_t n, uint32_t w_pa, uint32_t w_ld, uint32_t b_pa, uint32_t flags,
                            uint32_t tag) {
  const uint32_t nm_n = b->a->nm_cfg & 0xFFu, nm_m = (b->a->nm_cfg >> 8) & 0xFFu;
  linear_t L = {k, n, (flags & ACC_MATMUL_NM_WEIGHTS) ? (k + nm_m - 1) / nm_m * nm_n : k, w_pa, w_ld, b_pa, flags, tag, 1, n, 0, 0, 0};
  return L;
}

/* A head's matrix (k x n, no bias unless b_pa): used whole from the ring, as a matmul operand. */
static linear_t make_matrix(const bert_t *b, uint32_t k, uint32_t n, uint32_t w_pa, uint32_t b_pa, uint32_t tag) {
  linear_t L = make_linear(b, k, n, w_pa, n, b_pa, 0, tag);
  L.bias = b_pa != 0;
  return L;
}

static uint32_t linear_words(const linear_t *L) { return (L->kc + L->bias) * L->n; }

/* The LOADs of one column tile (its values, then its biases) to ring address `at`. With
 * FW_BERT_WEIGHTS_PER_SEQ the values are loaded once per sequence of the batch, as AccelTran's
 * simulator sizes its weights (batch, in, out). */
static void load_tile(bert_t *b, const linear_t *L, uint32_t j0, uint32_t nc, uint32_t at) {
  acc_dev_t *dev = b->dev;
  acc_set_tag(dev, L->tag);
  const uint32_t copies = (b->a->flags & FW_BERT_WEIGHTS_PER_SEQ) ? b->a->batch : 1u;
  for (uint32_t c = 0; c < copies; ++c) {
    if (L->flags & ACC_MATMUL_NM_WEIGHTS)
      acc_load_nm(dev, at, nc, L->w_pa + 4u * j0, 4u * L->w_ld, L->kc, nc);
    else
      acc_load(dev, ACC_BUF_WGT, at, nc, L->w_pa + 4u * j0, 4u * L->w_ld, L->kc, nc);
  }
  if (L->bias) acc_load(dev, ACC_BUF_WGT, at + L->kc * nc, nc, L->b_pa + 4u * j0, 4u * nc, 1, nc);
}

/* Loads the whole of W ahead of its use, as one tile. */
static void load_ahead(bert_t *b, linear_t *L) {
  L->nt = L->n;
  L->ring = ring_alloc(b, linear_words(L));
  L->loaded = 1;
  load_tile(b, L, 0, L->n, L->ring);
}

/* Runs the linear layer on x, into y: from the weights loaded ahead, or streaming its column
 * tiles through the ring (the planner sizes them: x and y stay on chip, W passes once). */
static void linear(bert_t *b, linear_t *L, acc_operand_t x, uint32_t rows, acc_operand_t y) {
  acc_dev_t *dev = b->dev;
  if (!L->loaded && (b->a->flags & FW_BERT_IN_ORDER_LOADS) && linear_words(L) <= b->ring_end / 2) {
    L->nt = L->n; /* AccelTran's simulator moves a tensor whole */
  } else if (!L->loaded) {
    const acc_gemm_shape_t shape = {rows, L->k, L->n, ACC_GEMM_ORDER_IJ, ACC_GEMM_A_ON_CHIP | ACC_GEMM_C_ON_CHIP, L->kc + L->bias, 0,
                                    b->ring_end / 2};
    acc_gemm_plan_t plan;
    /* k <= HW_MAX_K (checked up front) keeps a one-tile column within half the ring. */
    L->nt = acc_gemm_plan(dev, &shape, &plan) == FW_OK ? plan.nt : dev->tile_y;
  }
  for (uint32_t j0 = 0; j0 < L->n; j0 += L->nt) {
    const uint32_t nc = min_u(L->nt, L->n - j0);
    uint32_t w = L->ring + j0 * (L->kc + L->bias);
    if (!L->loaded) {
      w = ring_alloc(b, (L->kc + L->bias) * nc);
      load_tile(b, L, j0, nc, w);
    }
    acc_set_tag(dev, L->tag);
    acc_operand_t yt = y;
    yt.addr += j0;
    acc_set_scale(dev, L->scale);
    acc_matmul(dev, L->flags | (L->bias ? ACC_MATMUL_BIAS : 0u), rows, L->k, nc, x, wgt(w, nc), yt, L->bias ? wgt(w + L->kc * nc, nc) : kNone);
  }
}

/* A head's matrix in the ring; its address. Loaded ahead with its layer, or else now, for this use
 * alone: in a streamed layer the tiles that follow may take its place before a later use. */
static uint32_t matrix_at_use(bert_t *b, linear_t *M) {
  if (M->loaded) return M->ring;
  const uint32_t at = ring_alloc(b, linear_words(M));
  load_tile(b, M, 0, M->n, at);
  return at;
}

/* Layer-norm parameters (gamma, beta) in the ring. */
typedef struct norm {
  uint32_t g_pa, b_pa, cols, g, b, loaded;
  uint32_t scale, eps; /* per-tensor formats: the scale fields and the epsilon in the input's variance units */
} norm_t;

static void norm_ahead(bert_t *b, norm_t *n) {
  n->g = load_vector(b, n->g_pa, n->cols);
  n->b = load_vector(b, n->b_pa, n->cols);
  n->loaded = 1;
}

static void layernorm(bert_t *b, uint32_t rows, acc_operand_t in, acc_operand_t out, norm_t *n) {
  if (!n->loaded) norm_ahead(b, n);
  acc_set_scale(b->dev, n->scale);
  acc_layernorm(b->dev, rows, n->cols, in, out, wgt(n->g, n->cols), wgt(n->b, n->cols), b->scales ? n->eps : b->a->ln_eps);
}

/* Per-tensor formats: the scale fields of the next ADD (from fraction bits), or nothing. */
static void add_scale(const bert_t *b, uint32_t fa, uint32_t fb, uint32_t fc) {
  if (b->scales) acc_set_scale(b->dev, acc_add_scale(fa, fb, fc));
}
static uint32_t matmul_scale(const bert_t *b, uint32_t fa, uint32_t fb, uint32_t fc, uint32_t fbias) {
  return b->scales ? acc_matmul_scale(fa, fb, fc, fbias) : 0u;
}

static uint32_t prune_flag(const bert_t *b) { return (b->a->flags & FW_BERT_DYNATRAN) ? ACC_MATMUL_PRUNE_OUT : 0u; }
static uint32_t nm_weights_flag(const bert_t *b) { return (b->a->flags & FW_BERT_NM_WEIGHTS) ? ACC_MATMUL_NM_WEIGHTS : 0u; }
static uint32_t nm_act_flag(const bert_t *b) { return (b->a->flags & FW_BERT_NM_ACT) ? ACC_MATMUL_NM_ACT : 0u; }

/* The attention scores go through the pruning units' SCORE descriptors when LeOPArd or HDP is on. */
static int score_engine(const bert_t *b) {
  return (b->a->flags & (FW_BERT_LEOPARD | FW_BERT_HDP_HEADS | FW_BERT_HDP_BLOCKS | FW_BERT_HDP_APPROX)) != 0;
}

/* First LeOPArd threshold entry of layer l (entries are layer-major, one per head if per head). */
static uint32_t threshold_entry(const bert_t *b, uint32_t l) {
  uint32_t e = 0;
  for (uint32_t i = 0; i < l; ++i) e += (b->a->flags & FW_BERT_LEOPARD_PER_HEAD) ? b->layers[i].heads : 1u;
  return e;
}

/* Encoder input of sequences [s0, s0 + g) into x. */
static void embeddings(bert_t *b, uint32_t s0, uint32_t g) {
  acc_dev_t *dev = b->dev;
  const fw_bert_args_t *a = b->a;
  const uint32_t S = b->S, H = b->H;
  acc_set_tag(dev, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  if (!(a->flags & FW_BERT_TOKENS)) {
    acc_load(dev, ACC_BUF_ACT, b->x, H, a->input + 4u * s0 * S * H, 4u * H, g * S, H);
    return;
  }
  const uint32_t *ids = (const uint32_t *)hal_phys_to_virt(a->tokens);
  for (uint32_t s = 0; s < g; ++s)
    for (uint32_t t = 0; t < S; ++t) {
      uint32_t id = ids[(s0 + s) * S + t];
      if (id >= a->vocab) id = 0; /* the platform checks ids; never read past the table */
      acc_load(dev, ACC_BUF_ACT, b->x + (s * S + t) * H, H, a->word_emb + 4u * id * H, 4u * H, 1, H);
    }
  const fw_bert_scales_t *sc = b->scales;
  for (uint32_t s = 0; s < g; ++s) {
    if (sc) add_scale(b, sc->word, sc->pos_type, sc->emb_sum);
    acc_add(dev, S, H, act(b->x + s * S * H, H), act(b->pos, H), act(b->x + s * S * H, H));
  }
  norm_t ln = {a->emb_ln_g, a->emb_ln_b, H, 0, 0, 0, sc ? acc_layernorm_scale(sc->emb_ln_g, sc->emb) : 0u, sc ? sc->emb_eps : 0u};
  layernorm(b, g * S, act(b->x, H), act(b->x, H), &ln);
}

/* FW_BERT_WHOLE_TABLE: the whole word-embedding table and S position rows, through one region of
 * the weight ring (the table does not fit the buffer), before anything else runs: AccelTran's
 * simulator pins the table in its weight buffer before the first op. */
static void whole_table(bert_t *b) {
  acc_dev_t *dev = b->dev;
  const fw_bert_args_t *a = b->a;
  const uint32_t H = b->H;
  acc_set_tag(dev, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  const uint32_t chunk = min_u(a->vocab, max_u(1u, b->ring_end / 4u / H)), region = ring_alloc(b, chunk * H);
  for (uint32_t r = 0; r < a->vocab; r += chunk)
    acc_load(dev, ACC_BUF_WGT, region, H, a->word_emb + 4u * r * H, 4u * H, min_u(chunk, a->vocab - r), H);
  acc_load(dev, ACC_BUF_WGT, region, H, a->pos_emb, 4u * H, min_u(b->S, chunk), H);
  acc_fence(dev);
}

/* Position + token-type (type 0 for every token) embeddings of the S positions, once. */
static void position_rows(bert_t *b) {
  acc_dev_t *dev = b->dev;
  const uint32_t S = b->S, H = b->H;
  acc_set_tag(dev, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  acc_load(dev, ACC_BUF_ACT, b->pos, H, b->a->pos_emb, 4u * H, S, H);
  acc_load(dev, ACC_BUF_ACT, b->t2, H, b->a->type_emb, 0, S, H); /* DRAM stride 0: row 0 repeated */
  if (b->scales) add_scale(b, b->scales->pos, b->scales->type, b->scales->pos_type);
  acc_add(dev, S, H, act(b->pos, H), act(b->t2, H), act(b->pos, H));
}

/* The heads of layer l (the platform's head table). */
static const fw_bert_head_t *heads_of(const bert_t *b, uint32_t l) {
  return (const fw_bert_head_t *)hal_phys_to_virt(b->layers[l].head_table);
}

/* The parameters of one encoder layer: its linears, its heads' matrices and layer norms, loaded
 * ahead or not. */
typedef struct layer {
  linear_t q, k, v, o, ffn[FW_BERT_MAX_FFN + 1], proj;
  linear_t head_w[FW_BERT_MAX_HEAD_WEIGHTS]; /* one per matrix: heads sharing one (a transform) share it */
  norm_t ln1, ln2;
  uint32_t n_ffn, n_head_w;
} layer_t;

/* The slot of the head matrix at DRAM address pa. */
static linear_t *head_matrix(layer_t *w, uint32_t pa) {
  for (uint32_t i = 0; i < w->n_head_w; ++i)
    if (w->head_w[i].w_pa == pa) return &w->head_w[i];
  return 0; /* the platform gives every non-SDP head a matrix: never reached */
}

static layer_t describe_layer(const bert_t *b, uint32_t l) {
  const fw_bert_layer_t *L = &b->layers[l];
  const fw_bert_head_t *heads = heads_of(b, l);
  const uint32_t H = L->hidden, QK = L->qk_width, no_head = ACC_TAG_HEAD_MAX, rows = ACC_TAG_SEQ_MAX;
  uint32_t A = 0;
  for (uint32_t h = 0; h < L->heads; ++h) A += heads[h].dim;
  const uint32_t prune = prune_flag(b), nmw = nm_weights_flag(b), nma = nm_act_flag(b);
  layer_t w;
  w.q = make_linear(b, H, QK, L->wq, QK, L->bq, prune | nmw | nma, acc_tag(ACC_TAG_Q, l, no_head, rows));
  w.k = make_linear(b, H, QK, L->wk, QK, L->bk, prune | nmw | nma, acc_tag(ACC_TAG_K, l, no_head, rows));
  w.v = make_linear(b, H, A, L->wv, A, L->bv, prune | nmw, acc_tag(ACC_TAG_V, l, no_head, rows));
  w.o = make_linear(b, A, H, L->wo, H, L->bo, prune | nmw, acc_tag(ACC_TAG_ATTN_OUT, l, no_head, rows));
  /* FFN: hidden -> ffn[0] (GELU) -> ... -> hidden; DynaTran before each GELU. */
  w.n_ffn = L->n_ffn;
  for (uint32_t i = 0, in = H; i <= L->n_ffn; ++i) {
    const int last = i == L->n_ffn;
    const uint32_t out = last ? H : L->ffn[i];
    w.ffn[i] = make_linear(b, in, out, L->ffn_w[i], out, L->ffn_b[i], prune | nmw | (last ? 0u : ACC_MATMUL_GELU | nma),
                           acc_tag(last ? ACC_TAG_FFN2 : ACC_TAG_FFN1, l, no_head, rows));
    in = out;
  }
  /* FlexiBERT's projection to the next layer's hidden size, with GELU (AccelTran's dict2ops.py). */
  w.proj = make_linear(b, H, L->next_hidden, L->proj_w, L->next_hidden, L->proj_b, prune | nmw | ACC_MATMUL_GELU,
                       acc_tag(ACC_TAG_FFN1, l, no_head, rows));
  w.n_head_w = 0;
  for (uint32_t h = 0; h < L->heads && w.n_head_w < FW_BERT_MAX_HEAD_WEIGHTS; ++h) {
    const fw_bert_head_t *x = &heads[h];
    const uint32_t d = x->dim;
    if (x->kind == FW_BERT_HEAD_SDP || head_matrix(&w, x->w)) continue;
    const uint32_t tag = acc_tag(x->kind == FW_BERT_HEAD_WMA ? ACC_TAG_K : ACC_TAG_CONTEXT, l, h, rows);
    if (x->kind == FW_BERT_HEAD_WMA)
      w.head_w[w.n_head_w++] = make_matrix(b, d, d, x->w, 0, tag);
    else if (x->kind == FW_BERT_HEAD_CONV)
      w.head_w[w.n_head_w++] = make_matrix(b, x->kernel * d, d, x->w, x->b, tag);
    else
      w.head_w[w.n_head_w++] = make_matrix(b, b->S, b->S, x->w, 0, tag);
  }
  const norm_t ln1 = {L->ln1_g, L->ln1_b, H, 0, 0, 0, 0, 0}, ln2 = {L->ln2_g, L->ln2_b, H, 0, 0, 0, 0, 0};
  w.ln1 = ln1, w.ln2 = ln2;
  if (b->scales) { /* each MATMUL's and layer norm's scale fields from the layer's fraction bits */
    const fw_bert_layer_scales_t *f = &b->layer_scales[l];
    w.q.scale = matmul_scale(b, f->x, f->wq, f->q, f->bq);
    w.k.scale = matmul_scale(b, f->x, f->wk, f->k, f->bk);
    w.v.scale = matmul_scale(b, f->x, f->wv, f->v, f->bv);
    w.o.scale = matmul_scale(b, f->ctx, f->wo, f->attn, f->bo);
    for (uint32_t i = 0; i <= w.n_ffn; ++i) w.ffn[i].scale = matmul_scale(b, i ? f->ffn[i - 1] : f->ln1, f->ffn_w[i], f->ffn[i], f->ffn_b[i]);
    w.ln1.scale = acc_layernorm_scale(f->ln1_g, f->ln1), w.ln1.eps = f->ln1_eps;
    w.ln2.scale = acc_layernorm_scale(f->ln2_g, f->ln2), w.ln2.eps = f->ln2_eps;
  }
  return w;
}

/* Loads a layer's parameters ahead of its ops when they fit half of the weight ring (so that
 * they stream in while the previous layer, whose parameters take the other half, computes);
 * returns whether it did. */
static int load_layer_ahead(bert_t *b, uint32_t l, layer_t *w) {
  if (b->a->flags & FW_BERT_IN_ORDER_LOADS) return 0; /* each weight at its use */
  const fw_bert_layer_t *L = &b->layers[l];
  uint32_t words = linear_words(&w->v) + linear_words(&w->o) + 4u * L->hidden;
  if (L->qk_width) words += linear_words(&w->q) + linear_words(&w->k);
  if (L->proj_w) words += linear_words(&w->proj);
  for (uint32_t i = 0; i <= w->n_ffn; ++i) words += linear_words(&w->ffn[i]);
  for (uint32_t i = 0; i < w->n_head_w; ++i) words += linear_words(&w->head_w[i]);
  if (words > b->ring_end / 2) return 0; /* streamed at use, tile by tile */
  if (L->qk_width) {
    load_ahead(b, &w->q);
    load_ahead(b, &w->k);
  }
  load_ahead(b, &w->v);
  for (uint32_t i = 0; i < w->n_head_w; ++i) load_ahead(b, &w->head_w[i]);
  load_ahead(b, &w->o);
  acc_set_tag(b->dev, acc_tag(ACC_TAG_LAYERNORM, l, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  norm_ahead(b, &w->ln1);
  for (uint32_t i = 0; i <= w->n_ffn; ++i) load_ahead(b, &w->ffn[i]);
  acc_set_tag(b->dev, acc_tag(ACC_TAG_LAYERNORM, l, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  norm_ahead(b, &w->ln2);
  if (L->proj_w) load_ahead(b, &w->proj);
  return 1;
}

/* A convolution head over one sequence: the center tap (with the bias) into the context, then
 * each other tap's matmul over the rows it reaches (the rest is the zero padding) into tmp, added
 * to the context's rows. */
static void conv_head(bert_t *b, const fw_bert_head_t *x, uint32_t ring, uint32_t s, uint32_t A) {
  acc_dev_t *dev = b->dev;
  const uint32_t S = b->S, d = x->dim, center = (x->kernel - 1u) / 2u, base = s * S * A + x->col;
  acc_matmul(dev, ACC_MATMUL_BIAS, S, d, d, act(b->v + base, A), wgt(ring + center * d * d, d), act(b->ctx + base, A),
             wgt(ring + x->kernel * d * d, d));
  for (uint32_t j = 0; j < x->kernel; ++j) {
    if (j == center) continue;
    const uint32_t after = j > center, off = after ? j - center : center - j; /* row offset: +off or -off */
    if (off >= S) continue;
    const uint32_t m = S - off, in_row = after ? off : 0, out_row = after ? 0 : off;
    acc_matmul(dev, 0, m, d, d, act(b->v + base + in_row * A, A), wgt(ring + j * d * d, d), act(b->tmp + base + out_row * A, A), kNone);
    acc_add(dev, m, d, act(b->ctx + base + out_row * A, A), act(b->tmp + base + out_row * A, A), act(b->ctx + base + out_row * A, A));
  }
}

static void encoder_layer(bert_t *b, uint32_t l, uint32_t s0, uint32_t g, layer_t *w) {
  acc_dev_t *dev = b->dev;
  const fw_bert_args_t *a = b->a;
  const fw_bert_layer_t *L = &b->layers[l];
  const fw_bert_head_t *heads = heads_of(b, l);
  const uint32_t S = b->S, H = L->hidden, R = g * S, QK = L->qk_width;
  uint32_t A = 0;
  for (uint32_t h = 0; h < L->heads; ++h) A += heads[h].dim;
  const uint32_t prune = prune_flag(b), nma = nm_act_flag(b);
  const uint32_t batch_rows = ACC_TAG_SEQ_MAX, no_head = ACC_TAG_HEAD_MAX;
  const uint32_t *valid = (const uint32_t *)hal_phys_to_virt(a->valid_len);
  const fw_bert_layer_scales_t *f = b->scales ? &b->layer_scales[l] : 0; /* per-tensor formats */

  /* Q and K of the attending heads, V of every head, at once (heads are column slices). */
  if (QK) {
    linear(b, &w->q, act(b->x, H), R, act(b->q, QK));
    linear(b, &w->k, act(b->x, H), R, act(b->k, QK));
  }
  linear(b, &w->v, act(b->x, H), R, act(b->v, A));
  /* WMA heads: their keys through W_ma (AccelTran's ops.py multiplies W_ma with K^T), into the
   * head's context columns, which P.V overwrites afterwards. */
  for (uint32_t h = 0; h < L->heads; ++h) {
    const fw_bert_head_t *x = &heads[h];
    if (x->kind != FW_BERT_HEAD_WMA) continue;
    const uint32_t ring = matrix_at_use(b, head_matrix(w, x->w));
    acc_set_tag(dev, acc_tag(ACC_TAG_K, l, h, batch_rows));
    acc_matmul(dev, 0, R, x->dim, x->dim, act(b->k + x->qk_col, QK), wgt(ring, x->dim), act(b->ctx + x->col, A), kNone);
  }

  /* Per (sequence, attending head), in waves: raw scores (DynaTran before scaling), softmax in
   * place, P.V. With LeOPArd or HDP, one SCORE descriptor computes every head of a sequence on the
   * pruning units (HDP decides across heads; uniform SDP layers only). */
  for (uint32_t s = 0; s < g; ++s) {
    if (score_engine(b)) {
      const uint32_t f = a->flags;
      const uint32_t flags = ((f & FW_BERT_DYNATRAN) ? ACC_SCORE_PRUNE_OUT : 0u) | ((f & FW_BERT_LEOPARD) ? ACC_SCORE_LEOPARD : 0u) |
                             ((f & FW_BERT_LEOPARD_PER_HEAD) ? ACC_SCORE_LEOPARD_PER_HEAD : 0u) |
                             ((f & FW_BERT_HDP_HEADS) ? ACC_SCORE_HDP_HEADS : 0u) | ((f & FW_BERT_HDP_BLOCKS) ? ACC_SCORE_HDP_BLOCKS : 0u) |
                             ((f & FW_BERT_HDP_APPROX) ? ACC_SCORE_HDP_APPROX : 0u);
      acc_set_tag(dev, acc_tag(ACC_TAG_SCORES, l, no_head, s0 + s));
      acc_score(dev, flags, S, S, L->heads, L->head_dim, act(b->q + s * S * QK, QK), act(b->k + s * S * QK, QK),
                act(b->sc + s * L->heads * S * S, S), threshold_entry(b, l));
      continue;
    }
    for (uint32_t h = 0; h < L->heads; ++h) {
      const fw_bert_head_t *x = &heads[h];
      if (x->kind != FW_BERT_HEAD_SDP && x->kind != FW_BERT_HEAD_WMA) continue;
      const acc_operand_t keys =
          x->kind == FW_BERT_HEAD_WMA ? act(b->ctx + s * S * A + x->col, A) : act(b->k + s * S * QK + x->qk_col, QK);
      acc_set_tag(dev, acc_tag(ACC_TAG_SCORES, l, h, s0 + s));
      if (f) acc_set_scale(dev, matmul_scale(b, f->q, f->k, f->scores, 0));
      acc_matmul(dev, prune | ACC_MATMUL_TRANSPOSE_B, S, x->dim, S, act(b->q + s * S * QK + x->qk_col, QK), keys,
                 act(b->sc + (s * L->heads + h) * S * S, S), kNone);
    }
  }
  const uint32_t sm_flags = ((a->flags & FW_BERT_DYNATRAN) ? ACC_SOFTMAX_PRUNE_OUT : 0u) |
                            ((a->flags & FW_BERT_TOPK_EXACT) ? ACC_SOFTMAX_TOPK_EXACT : 0u);
  for (uint32_t s = 0; s < g; ++s)
    for (uint32_t h = 0; h < L->heads; ++h) {
      if (heads[h].kind != FW_BERT_HEAD_SDP && heads[h].kind != FW_BERT_HEAD_WMA) continue;
      const acc_operand_t p = act(b->sc + (s * L->heads + h) * S * S, S);
      acc_set_tag(dev, acc_tag(ACC_TAG_PROBS, l, h, s0 + s));
      if (f) acc_set_scale(dev, acc_softmax_scale(f->scores, f->probs));
      acc_softmax(dev, sm_flags, S, S, min_u(max_u(valid[s0 + s], 1u), S), p, p, heads[h].score_scale, a->topk);
    }
  for (uint32_t s = 0; s < g; ++s)
    for (uint32_t h = 0; h < L->heads; ++h) {
      const fw_bert_head_t *x = &heads[h];
      const uint32_t rows = (s * S) * A + x->col;
      acc_set_tag(dev, acc_tag(ACC_TAG_CONTEXT, l, h, s0 + s));
      if (x->kind == FW_BERT_HEAD_SDP || x->kind == FW_BERT_HEAD_WMA) {
        if (f) acc_set_scale(dev, matmul_scale(b, f->probs, f->v, f->ctx, 0));
        acc_matmul(dev, prune | nma, S, S, x->dim, act(b->sc + (s * L->heads + h) * S * S, S), act(b->v + rows, A),
                   act(b->ctx + rows, A), kNone);
      } else if (x->kind == FW_BERT_HEAD_CONV) {
        conv_head(b, x, matrix_at_use(b, head_matrix(w, x->w)), s, A);
      } else { /* DFT, DCT: the S x S transform (in the weight buffer) times V_h */
        acc_matmul(dev, 0, S, S, x->dim, wgt(matrix_at_use(b, head_matrix(w, x->w)), S), act(b->v + rows, A), act(b->ctx + rows, A),
                   kNone);
      }
    }

  /* Output projection, residual, layer norm. */
  linear(b, &w->o, act(b->ctx, A), R, act(b->t1, H));
  acc_set_tag(dev, acc_tag(ACC_TAG_RESIDUAL, l, no_head, batch_rows));
  if (f) add_scale(b, f->attn, f->x, f->res1);
  acc_add(dev, R, H, act(b->t1, H), act(b->x, H), act(b->t1, H));
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, l, no_head, batch_rows));
  layernorm(b, R, act(b->t1, H), act(b->t1, H), &w->ln1);

  /* FFN: hidden -> ffn[0] (GELU) -> ... -> hidden. */
  acc_operand_t in = act(b->t1, H);
  for (uint32_t i = 0; i <= w->n_ffn; ++i) {
    const int last = i == w->n_ffn;
    const acc_operand_t out = last ? act(b->t2, H) : act(i % 2 ? b->ffb : b->ffa, w->ffn[i].n);
    linear(b, &w->ffn[i], in, R, out);
    in = out;
  }
  acc_set_tag(dev, acc_tag(ACC_TAG_RESIDUAL, l, no_head, batch_rows));
  if (f) add_scale(b, f->ffn[w->n_ffn], f->ln1, f->res2);
  acc_add(dev, R, H, act(b->t2, H), act(b->t1, H), act(b->t2, H));
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, l, no_head, batch_rows));
  if (!L->proj_w) {
    layernorm(b, R, act(b->t2, H), act(b->x, H), &w->ln2); /* the next layer's input */
    return;
  }
  layernorm(b, R, act(b->t2, H), act(b->t1, H), &w->ln2);
  linear(b, &w->proj, act(b->t1, H), R, act(b->x, L->next_hidden)); /* the next layer's input, at its hidden size */
}

/* Words of the activation plan for groups of g sequences; fills the addresses. */
static uint64_t plan(bert_t *b, uint32_t g) {
  const uint32_t S = b->S;
  uint32_t A = 0, QK = 0, heads = 0, f_even = 0, f_odd = 0, H = b->H, conv = 0;
  for (uint32_t l = 0; l < b->a->layers; ++l) {
    const fw_bert_layer_t *L = &b->layers[l];
    const fw_bert_head_t *hd = heads_of(b, l);
    uint32_t width = 0;
    for (uint32_t h = 0; h < L->heads; ++h) width += hd[h].dim, conv |= hd[h].kind == FW_BERT_HEAD_CONV;
    A = max_u(A, width);
    QK = max_u(QK, L->qk_width);
    H = max_u(H, max_u(L->hidden, L->next_hidden));
    heads = max_u(heads, L->heads);
    for (uint32_t i = 0; i < L->n_ffn; ++i) {
      if (i % 2)
        f_odd = max_u(f_odd, L->ffn[i]);
      else
        f_even = max_u(f_even, L->ffn[i]);
    }
  }
  const uint64_t R = (uint64_t)g * S;
  /* q, k, v, ctx, the convolutions' taps, scores */
  const uint64_t attention = 2 * R * QK + (conv ? 3 : 2) * R * A + (uint64_t)g * heads * S * S;
  const uint64_t ffn = R * (f_even + f_odd);
  uint64_t at = 0;
  b->pos = (uint32_t)at, at += (uint64_t)S * b->H;
  b->x = (uint32_t)at, at += R * H;
  b->t1 = (uint32_t)at, at += R * H;
  b->t2 = (uint32_t)at, at += R * H;
  b->pool = (uint32_t)at, at += (uint64_t)g * b->H_out;
  /* The FFN's buffers reuse the attention's: the hardware orders the writes after the reads. */
  const uint64_t shared = at;
  b->q = (uint32_t)at, at += R * QK;
  b->k = (uint32_t)at, at += R * QK;
  b->v = (uint32_t)at, at += R * A;
  b->ctx = (uint32_t)at, at += R * A;
  b->tmp = (uint32_t)at, at += conv ? R * A : 0;
  b->sc = (uint32_t)at;
  b->ffa = (uint32_t)shared;
  b->ffb = (uint32_t)(shared + R * f_even);
  return shared + (attention > ffn ? attention : ffn);
}

/* Whether the layers' shapes are within the hardware's limits (FW_OK), or why not. */
static uint32_t check_layers(const bert_t *b) {
  const fw_bert_args_t *a = b->a;
  const acc_dev_t *dev = b->dev;
  for (uint32_t l = 0; l < a->layers; ++l) {
    const fw_bert_layer_t *L = &b->layers[l];
    const fw_bert_head_t *hd = heads_of(b, l);
    if (!L->heads || !L->head_table || !L->hidden || !L->next_hidden || L->n_ffn > FW_BERT_MAX_FFN) return FW_ERR_BAD_JOB;
    if ((l == 0 && L->hidden != a->hidden) || (l > 0 && L->hidden != b->layers[l - 1].next_hidden)) return FW_ERR_BAD_JOB;
    if ((L->next_hidden != L->hidden) != (L->proj_w != 0)) return FW_ERR_BAD_JOB;
    uint64_t A = 0, QK = 0;
    uint32_t uniform = L->head_dim != 0, with_matrix = 0;
    for (uint32_t h = 0; h < L->heads; ++h) {
      const fw_bert_head_t *x = &hd[h];
      if (!x->dim || x->kind > FW_BERT_HEAD_CONV || x->col != A || (x->kind == FW_BERT_HEAD_CONV && (!x->kernel || !x->b)) ||
          (x->kind != FW_BERT_HEAD_SDP && !x->w))
        return FW_ERR_BAD_JOB;
      if (x->kind == FW_BERT_HEAD_SDP || x->kind == FW_BERT_HEAD_WMA) {
        if (x->qk_col != QK) return FW_ERR_BAD_JOB;
        QK += x->dim;
      }
      A += x->dim;
      uniform = uniform && x->kind == FW_BERT_HEAD_SDP && x->dim == L->head_dim;
      if (x->kind != FW_BERT_HEAD_SDP) ++with_matrix;
      /* A head's matrix is used whole from the ring: it must fit half of it. */
      const uint64_t words = x->kind == FW_BERT_HEAD_WMA    ? (uint64_t)x->dim * x->dim
                             : x->kind == FW_BERT_HEAD_CONV ? ((uint64_t)x->kernel * x->dim + 1u) * x->dim
                             : x->kind == FW_BERT_HEAD_SDP  ? 0
                                                            : (uint64_t)b->S * b->S;
      if (words > b->ring_end / 2 || (x->kind == FW_BERT_HEAD_CONV && (uint64_t)x->kernel * x->dim > dev->max_k)) return FW_ERR_UNSUPPORTED;
    }
    if (QK != L->qk_width || with_matrix > FW_BERT_MAX_HEAD_WEIGHTS) return FW_ERR_BAD_JOB;
    if (score_engine(b) && !uniform) return FW_ERR_UNSUPPORTED; /* the SCORE descriptor takes equal SDP heads */
    if (b->scales && (!uniform || L->proj_w)) return FW_ERR_UNSUPPORTED; /* the scale table has SDP layers' tensors only */
    if (L->hidden > dev->max_k || L->next_hidden > dev->max_k || A > dev->max_k || a->seq > dev->max_k) return FW_ERR_UNSUPPORTED;
    for (uint32_t i = 0; i < L->n_ffn; ++i)
      if (L->ffn[i] > dev->max_k) return FW_ERR_UNSUPPORTED;
  }
  return FW_OK;
}

uint32_t run_bert(acc_dev_t *dev, fw_bert_args_t *a);

uint32_t run_bert(acc_dev_t *dev, fw_bert_args_t *a) {
  bert_t b;
  b.dev = dev;
  b.a = a;
  b.layers = (const fw_bert_layer_t *)hal_phys_to_virt(a->layer_table);
  b.S = a->seq;
  b.H = a->hidden;
  b.ring = 0;
  b.ring_end = dev->wgt_words;
  b.scales = (a->flags & FW_BERT_SCALED) ? (const fw_bert_scales_t *)hal_phys_to_virt(a->scales) : 0;
  b.layer_scales = (a->flags & FW_BERT_SCALED) ? (const fw_bert_layer_scales_t *)hal_phys_to_virt(a->layer_scales) : 0;
  if (!a->layers || !a->seq || !a->hidden || !a->batch) return FW_ERR_BAD_JOB;
  const uint32_t shapes = check_layers(&b);
  if (shapes != FW_OK) return shapes;
  b.H_out = b.layers[a->layers - 1].next_hidden;

  /* The largest group of sequences whose plan fits the activation buffer. */
  uint32_t g = a->batch;
  while (g > 0 && plan(&b, g) > dev->act_words) --g;
  if (g == 0) {
    hal_printf("bert: one sequence needs %lu words of activation buffer, it has %lu\n", (unsigned long)plan(&b, 1),
               (unsigned long)dev->act_words);
    return FW_ERR_NO_MEMORY;
  }
  plan(&b, g);
  a->group = g;

  if (a->flags & FW_BERT_DYNATRAN) hal_write32(dev->regs + ACC_REG_DYNATRAN_TAU, a->tau);
  if (a->flags & FW_BERT_LEOPARD) {
    const uint32_t entries = threshold_entry(&b, a->layers);
    if (entries > 256u) return FW_ERR_UNSUPPORTED; /* the threshold table has 256 entries */
    const uint32_t *th = (const uint32_t *)hal_phys_to_virt(a->leopard_thresholds);
    hal_write32(dev->regs + ACC_REG_LEOPARD_KEY_BITS, a->leopard_key_bits);
    hal_write32(dev->regs + ACC_REG_LEOPARD_TH_INDEX, 0);
    for (uint32_t e = 0; e < entries; ++e) { /* TH_HI stores the entry and advances the index */
      hal_write32(dev->regs + ACC_REG_LEOPARD_TH_LO, th[2 * e]);
      hal_write32(dev->regs + ACC_REG_LEOPARD_TH_HI, th[2 * e + 1]);
    }
  }
  if (a->flags & (FW_BERT_HDP_HEADS | FW_BERT_HDP_BLOCKS | FW_BERT_HDP_APPROX)) {
    hal_write32(dev->regs + ACC_REG_HDP_FRAC_BITS, a->hdp_frac_bits);
    hal_write32(dev->regs + ACC_REG_HDP_HEAD_CTRL, a->hdp_head_ctrl);
    hal_write32(dev->regs + ACC_REG_HDP_HEAD_PARAM, a->hdp_head_param);
    hal_write32(dev->regs + ACC_REG_HDP_BLOCK_CTRL, a->hdp_block_ctrl);
    hal_write32(dev->regs + ACC_REG_HDP_BLOCK_PARAM, a->hdp_block_param);
  }
  if (a->flags & (FW_BERT_NM_WEIGHTS | FW_BERT_NM_ACT)) hal_write32(dev->regs + ACC_REG_NM_CFG, a->nm_cfg);
  if ((a->flags & FW_BERT_WHOLE_TABLE) && (a->flags & FW_BERT_TOKENS)) whole_table(&b);
  if (a->flags & FW_BERT_TOKENS) position_rows(&b);
  /* Each layer's parameters are loaded ahead while the layer before computes (the first layer's
   * after the first group's embedding rows, which are needed first). */
  layer_t cur = describe_layer(&b, 0), next;
  int cur_tried = 0, cur_ahead = 0, next_tried = 0, next_ahead = 0;
  for (uint32_t s0 = 0; s0 < a->batch; s0 += g) {
    const uint32_t n = min_u(g, a->batch - s0), H = b.H_out, S = b.S;
    embeddings(&b, s0, n);
    for (uint32_t l = 0; l < a->layers; ++l) {
      const int more = l + 1 < a->layers || s0 + g < a->batch; /* the next layer, or the next group's first */
      if (!cur_tried) cur_ahead = load_layer_ahead(&b, l, &cur); /* the first layer, or one after a streamed layer */
      if (more) {
        const uint32_t nl = l + 1 < a->layers ? l + 1 : 0;
        next = describe_layer(&b, nl);
        /* Only beside a layer loaded ahead: a streamed layer's tiles pass through the whole ring and
         * would overwrite the next layer's weights before they are used (layers of different sizes). */
        next_tried = cur_ahead;
        next_ahead = cur_ahead ? load_layer_ahead(&b, nl, &next) : 0;
      }
      encoder_layer(&b, l, s0, n, &cur);
      if (more) cur = next, cur_tried = next_tried, cur_ahead = next_ahead;
    }
    acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
    acc_store(dev, ACC_BUF_ACT, b.x, H, a->out_hidden + 4u * s0 * S * H, 4u * H, n * S, H);
    if (a->flags & FW_BERT_POOLER) {
      /* pooled = tanh(W_p . h_CLS + b_p): the CLS rows are S rows apart. */
      linear_t pool = make_linear(&b, H, H, a->pool_w, H, a->pool_b, prune_flag(&b) | ACC_MATMUL_TANH,
                                  acc_tag(ACC_TAG_POOLER, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
      if (b.scales)
        pool.scale = matmul_scale(&b, b.layer_scales[a->layers - 1].ln2, b.scales->pool_w, b.scales->pooled, b.scales->pool_b);
      linear(&b, &pool, act(b.x, S * H), n, act(b.pool, H));
      acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
      acc_store(dev, ACC_BUF_ACT, b.pool, H, a->out_pooled + 4u * s0 * H, 4u * H, n, H);
    }
  }
  const uint32_t err = acc_sync(dev);
  hal_printf("bert: %u layers, %u sequences in groups of %u, %u descriptors\n", (unsigned)a->layers, (unsigned)a->batch,
             (unsigned)g, (unsigned)dev->submitted);
  return err == ACC_ERR_NONE ? FW_OK : FW_ERR_ACCEL;
}
