/* BERT encoder on the accelerator: compiles the model of fw_bert_args_t into descriptors.
 *
 * Every op runs on the accelerator's units: the embedding gather (one LOAD per token row of the
 * word-embedding table) and sums, Q/K/V projections, Q.K^T, softmax (scale, padding mask, top-k,
 * DynaTran), P.V, the output projection, residual adds, layer norms, the FFN with GELU, and the
 * pooler with tanh. DynaTran is applied where REFERENCE §2 says (PRUNE flags), never to embeddings
 * or layer-norm outputs.
 *
 * Memory: the sequences of the batch are processed in groups that fit the activation buffer (the
 * whole batch when it fits). Weights stream through the weight buffer as a ring: each tensor is
 * loaded just before the op that uses it, into the next free part of the ring, so loads overlap
 * compute; the hardware's hazard tracking keeps a region from being overwritten while it is read.
 * Heads of a layer run concurrently: each (sequence, head) pair has its own score, softmax and
 * context ops on disjoint regions, emitted in waves so that in-order issue never blocks them. */
#include "acc_driver.h"
#include "fw_bert.h"
#include "fw_job.h"
#include "hal.h"

typedef struct bert {
  acc_dev_t *dev;
  const fw_bert_args_t *a;
  const fw_bert_layer_t *layers;
  uint32_t S, H;           /* sequence length, hidden size */
  uint32_t ring, ring_end; /* weight ring: next free word, size */
  /* Activation plan (word indices in the activation buffer). */
  uint32_t pos, x, t1, t2, q, k, v, ctx, sc, ffa, ffb, pool;
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

/* y[rows x n] = act(prune(x[rows x k] . W + bias)) with W (k x n, DRAM rows of w_ld words) and the
 * bias from DRAM. W streams through the ring in column tiles that fit half of it. With
 * ACC_MATMUL_NM_WEIGHTS, W is N:M compressed: kc = ceil(k/M)*N rows of value+index words. */
static void linear(bert_t *b, acc_operand_t x, uint32_t rows, uint32_t k, uint32_t n, uint32_t w_pa, uint32_t w_ld,
                   uint32_t b_pa, acc_operand_t y, uint32_t flags) {
  acc_dev_t *dev = b->dev;
  const uint32_t half = b->ring_end / 2, q = dev->tile_y;
  const uint32_t nm_n = b->a->nm_cfg & 0xFFu, nm_m = (b->a->nm_cfg >> 8) & 0xFFu;
  const uint32_t kc = (flags & ACC_MATMUL_NM_WEIGHTS) ? (k + nm_m - 1) / nm_m * nm_n : k;
  uint32_t nt = n;
  if ((uint64_t)kc * n + n > half) {
    nt = (uint32_t)(half / (kc + 1u)) / q * q;
    if (nt == 0) nt = q; /* k <= HW_MAX_K keeps a single tile column within the ring */
  }
  for (uint32_t j0 = 0; j0 < n; j0 += nt) {
    const uint32_t nc = min_u(nt, n - j0);
    const uint32_t w = ring_alloc(b, kc * nc + nc);
    if (flags & ACC_MATMUL_NM_WEIGHTS)
      acc_load_nm(dev, w, nc, w_pa + 4u * j0, 4u * w_ld, kc, nc);
    else
      acc_load(dev, ACC_BUF_WGT, w, nc, w_pa + 4u * j0, 4u * w_ld, kc, nc);
    acc_load(dev, ACC_BUF_WGT, w + kc * nc, nc, b_pa + 4u * j0, 4u * nc, 1, nc);
    acc_operand_t yt = y;
    yt.addr += j0;
    acc_matmul(dev, flags | ACC_MATMUL_BIAS, rows, k, nc, x, wgt(w, nc), yt, wgt(w + kc * nc, nc));
  }
}

static void layernorm(bert_t *b, uint32_t rows, acc_operand_t in, acc_operand_t out, uint32_t g_pa, uint32_t b_pa) {
  const uint32_t g = load_vector(b, g_pa, b->H), be = load_vector(b, b_pa, b->H);
  acc_layernorm(b->dev, rows, b->H, in, out, wgt(g, b->H), wgt(be, b->H), b->a->ln_eps);
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
  for (uint32_t s = 0; s < g; ++s) acc_add(dev, S, H, act(b->x + s * S * H, H), act(b->pos, H), act(b->x + s * S * H, H));
  layernorm(b, g * S, act(b->x, H), act(b->x, H), a->emb_ln_g, a->emb_ln_b);
}

/* Position + token-type (type 0 for every token) embeddings of the S positions, once. */
static void position_rows(bert_t *b) {
  acc_dev_t *dev = b->dev;
  const uint32_t S = b->S, H = b->H;
  acc_set_tag(dev, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  acc_load(dev, ACC_BUF_ACT, b->pos, H, b->a->pos_emb, 4u * H, S, H);
  acc_load(dev, ACC_BUF_ACT, b->t2, H, b->a->type_emb, 0, S, H); /* DRAM stride 0: row 0 repeated */
  acc_add(dev, S, H, act(b->pos, H), act(b->t2, H), act(b->pos, H));
}

static void encoder_layer(bert_t *b, uint32_t l, uint32_t s0, uint32_t g) {
  acc_dev_t *dev = b->dev;
  const fw_bert_args_t *a = b->a;
  const fw_bert_layer_t *L = &b->layers[l];
  const uint32_t S = b->S, H = b->H, R = g * S, d = L->head_dim, A = L->heads * d;
  const uint32_t prune = prune_flag(b), nmw = nm_weights_flag(b), nma = nm_act_flag(b);
  const uint32_t batch_rows = ACC_TAG_SEQ_MAX, no_head = ACC_TAG_HEAD_MAX;
  const uint32_t *valid = (const uint32_t *)hal_phys_to_virt(a->valid_len);

  /* Q, K, V projections of every head at once (heads are column slices). */
  acc_set_tag(dev, acc_tag(ACC_TAG_Q, l, no_head, batch_rows));
  linear(b, act(b->x, H), R, H, A, L->wq, A, L->bq, act(b->q, A), prune | nmw | nma);
  acc_set_tag(dev, acc_tag(ACC_TAG_K, l, no_head, batch_rows));
  linear(b, act(b->x, H), R, H, A, L->wk, A, L->bk, act(b->k, A), prune | nmw | nma);
  acc_set_tag(dev, acc_tag(ACC_TAG_V, l, no_head, batch_rows));
  linear(b, act(b->x, H), R, H, A, L->wv, A, L->bv, act(b->v, A), prune | nmw);

  /* Per (sequence, head), in waves: raw scores (DynaTran before scaling), softmax in place, P.V.
   * With LeOPArd or HDP, one SCORE descriptor computes every head of a sequence on the pruning
   * units (HDP decides across heads). */
  for (uint32_t s = 0; s < g; ++s) {
    if (score_engine(b)) {
      const uint32_t f = a->flags;
      const uint32_t flags = ((f & FW_BERT_DYNATRAN) ? ACC_SCORE_PRUNE_OUT : 0u) | ((f & FW_BERT_LEOPARD) ? ACC_SCORE_LEOPARD : 0u) |
                             ((f & FW_BERT_LEOPARD_PER_HEAD) ? ACC_SCORE_LEOPARD_PER_HEAD : 0u) |
                             ((f & FW_BERT_HDP_HEADS) ? ACC_SCORE_HDP_HEADS : 0u) | ((f & FW_BERT_HDP_BLOCKS) ? ACC_SCORE_HDP_BLOCKS : 0u) |
                             ((f & FW_BERT_HDP_APPROX) ? ACC_SCORE_HDP_APPROX : 0u);
      acc_set_tag(dev, acc_tag(ACC_TAG_SCORES, l, no_head, s0 + s));
      acc_score(dev, flags, S, S, L->heads, d, act(b->q + s * S * A, A), act(b->k + s * S * A, A), act(b->sc + s * L->heads * S * S, S),
                threshold_entry(b, l));
      continue;
    }
    for (uint32_t h = 0; h < L->heads; ++h) {
      const uint32_t rows = (s * S) * A + h * d;
      acc_set_tag(dev, acc_tag(ACC_TAG_SCORES, l, h, s0 + s));
      acc_matmul(dev, prune | ACC_MATMUL_TRANSPOSE_B, S, d, S, act(b->q + rows, A), act(b->k + rows, A),
                 act(b->sc + (s * L->heads + h) * S * S, S), kNone);
    }
  }
  const uint32_t sm_flags = ((a->flags & FW_BERT_DYNATRAN) ? ACC_SOFTMAX_PRUNE_OUT : 0u) |
                            ((a->flags & FW_BERT_TOPK_EXACT) ? ACC_SOFTMAX_TOPK_EXACT : 0u);
  for (uint32_t s = 0; s < g; ++s)
    for (uint32_t h = 0; h < L->heads; ++h) {
      const acc_operand_t p = act(b->sc + (s * L->heads + h) * S * S, S);
      acc_set_tag(dev, acc_tag(ACC_TAG_PROBS, l, h, s0 + s));
      acc_softmax(dev, sm_flags, S, S, min_u(max_u(valid[s0 + s], 1u), S), p, p, L->score_scale, a->topk);
    }
  for (uint32_t s = 0; s < g; ++s)
    for (uint32_t h = 0; h < L->heads; ++h) {
      const uint32_t rows = (s * S) * A + h * d;
      acc_set_tag(dev, acc_tag(ACC_TAG_CONTEXT, l, h, s0 + s));
      acc_matmul(dev, prune | nma, S, S, d, act(b->sc + (s * L->heads + h) * S * S, S), act(b->v + rows, A), act(b->ctx + rows, A),
                 kNone);
    }

  /* Output projection, residual, layer norm. */
  acc_set_tag(dev, acc_tag(ACC_TAG_ATTN_OUT, l, no_head, batch_rows));
  linear(b, act(b->ctx, A), R, A, H, L->wo, H, L->bo, act(b->t1, H), prune | nmw);
  acc_set_tag(dev, acc_tag(ACC_TAG_RESIDUAL, l, no_head, batch_rows));
  acc_add(dev, R, H, act(b->t1, H), act(b->x, H), act(b->t1, H));
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, l, no_head, batch_rows));
  layernorm(b, R, act(b->t1, H), act(b->t1, H), L->ln1_g, L->ln1_b);

  /* FFN: hidden -> ffn[0] (GELU) -> ... -> hidden; DynaTran before each GELU. */
  acc_operand_t in = act(b->t1, H);
  uint32_t in_dim = H;
  for (uint32_t i = 0; i <= L->n_ffn; ++i) {
    const int last = i == L->n_ffn;
    const uint32_t out_dim = last ? H : L->ffn[i];
    const acc_operand_t out = last ? act(b->t2, H) : act(i % 2 ? b->ffb : b->ffa, out_dim);
    acc_set_tag(dev, acc_tag(last ? ACC_TAG_FFN2 : ACC_TAG_FFN1, l, no_head, batch_rows));
    linear(b, in, R, in_dim, out_dim, L->ffn_w[i], out_dim, L->ffn_b[i], out, prune | nmw | (last ? 0u : ACC_MATMUL_GELU | nma));
    in = out;
    in_dim = out_dim;
  }
  acc_set_tag(dev, acc_tag(ACC_TAG_RESIDUAL, l, no_head, batch_rows));
  acc_add(dev, R, H, act(b->t2, H), act(b->t1, H), act(b->t2, H));
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, l, no_head, batch_rows));
  layernorm(b, R, act(b->t2, H), act(b->x, H), L->ln2_g, L->ln2_b); /* the next layer's input */
}

/* Words of the activation plan for groups of g sequences; fills the addresses. */
static uint64_t plan(bert_t *b, uint32_t g) {
  const uint32_t S = b->S, H = b->H;
  uint32_t A = 0, heads = 0, f_even = 0, f_odd = 0;
  for (uint32_t l = 0; l < b->a->layers; ++l) {
    const fw_bert_layer_t *L = &b->layers[l];
    A = max_u(A, L->heads * L->head_dim);
    heads = max_u(heads, L->heads);
    for (uint32_t i = 0; i < L->n_ffn; ++i) {
      if (i % 2)
        f_odd = max_u(f_odd, L->ffn[i]);
      else
        f_even = max_u(f_even, L->ffn[i]);
    }
  }
  const uint64_t R = (uint64_t)g * S;
  const uint64_t attention = 4 * R * A + (uint64_t)g * heads * S * S; /* q, k, v, ctx, scores */
  const uint64_t ffn = R * (f_even + f_odd);
  uint64_t at = 0;
  b->pos = (uint32_t)at, at += (uint64_t)S * H;
  b->x = (uint32_t)at, at += R * H;
  b->t1 = (uint32_t)at, at += R * H;
  b->t2 = (uint32_t)at, at += R * H;
  b->pool = (uint32_t)at, at += (uint64_t)g * H;
  /* The FFN's buffers reuse the attention's: the hardware orders the writes after the reads. */
  const uint64_t shared = at;
  b->q = (uint32_t)at, at += R * A;
  b->k = (uint32_t)at, at += R * A;
  b->v = (uint32_t)at, at += R * A;
  b->ctx = (uint32_t)at, at += R * A;
  b->sc = (uint32_t)at;
  b->ffa = (uint32_t)shared;
  b->ffb = (uint32_t)(shared + R * f_even);
  return shared + (attention > ffn ? attention : ffn);
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
  if (!a->layers || !a->seq || !a->hidden || !a->batch) return FW_ERR_BAD_JOB;
  for (uint32_t l = 0; l < a->layers; ++l) {
    const fw_bert_layer_t *L = &b.layers[l];
    if (!L->heads || !L->head_dim || L->n_ffn > FW_BERT_MAX_FFN) return FW_ERR_BAD_JOB;
    if (a->hidden > dev->max_k || L->heads * L->head_dim > dev->max_k || a->seq > dev->max_k) return FW_ERR_UNSUPPORTED;
    for (uint32_t i = 0; i < L->n_ffn; ++i)
      if (L->ffn[i] > dev->max_k) return FW_ERR_UNSUPPORTED;
  }

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
  if (a->flags & FW_BERT_TOKENS) position_rows(&b);
  for (uint32_t s0 = 0; s0 < a->batch; s0 += g) {
    const uint32_t n = min_u(g, a->batch - s0), H = b.H, S = b.S;
    embeddings(&b, s0, n);
    for (uint32_t l = 0; l < a->layers; ++l) encoder_layer(&b, l, s0, n);
    acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
    acc_store(dev, ACC_BUF_ACT, b.x, H, a->out_hidden + 4u * s0 * S * H, 4u * H, n * S, H);
    if (a->flags & FW_BERT_POOLER) {
      /* pooled = tanh(W_p . h_CLS + b_p): the CLS rows are S rows apart. */
      acc_set_tag(dev, acc_tag(ACC_TAG_POOLER, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
      linear(&b, act(b.x, S * H), n, H, H, a->pool_w, H, a->pool_b, act(b.pool, H), prune_flag(&b) | ACC_MATMUL_TANH);
      acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
      acc_store(dev, ACC_BUF_ACT, b.pool, H, a->out_pooled + 4u * s0 * H, 4u * H, n, H);
    }
  }
  const uint32_t err = acc_sync(dev);
  hal_printf("bert: %u layers, %u sequences in groups of %u, %u descriptors\n", (unsigned)a->layers, (unsigned)a->batch,
             (unsigned)g, (unsigned)dev->submitted);
  return err == ACC_ERR_NONE ? FW_OK : FW_ERR_ACCEL;
}
