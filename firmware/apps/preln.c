/* The pre-LN transformer layer (preln.h): the op graph of GPT-2's Block, on the accelerator. */
#include "preln.h"

#include "fw_job.h"

static acc_operand_t act(uint32_t addr, uint32_t stride) {
  acc_operand_t o = {ACC_BUF_ACT, addr, stride};
  return o;
}
static const acc_operand_t kNoBias = {0, 0, 0};
static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t umax(uint32_t a, uint32_t b) { return a > b ? a : b; }

uint32_t preln_ring_alloc(preln_t *p, uint32_t words) {
  if (p->ring + words > p->ring_end) p->ring = 0;
  const uint32_t at = p->ring;
  p->ring += words;
  return at;
}

uint64_t preln_plan(preln_t *p, const fw_bert_layer_t *layers, uint32_t n_layers, uint32_t rows, uint32_t positions) {
  uint32_t A = 0, heads = 0, F = 0;
  for (uint32_t l = 0; l < n_layers; ++l) {
    A = umax(A, layers[l].heads * layers[l].head_dim);
    heads = umax(heads, layers[l].heads);
    for (uint32_t i = 0; i < layers[l].n_ffn; ++i) F = umax(F, layers[l].ffn[i]);
  }
  const uint64_t R = rows, N = positions, H = p->hidden;
  uint64_t at = 0;
  p->x = (uint32_t)at, at += R * H;
  p->a = (uint32_t)at, at += R * H;
  p->t = (uint32_t)at, at += R * H;
  p->q = (uint32_t)at, at += R * A;
  p->ctx = (uint32_t)at, at += R * A;
  p->k = (uint32_t)at, at += N * A;
  p->v = (uint32_t)at, at += N * A;
  p->sc = (uint32_t)at, at += (uint64_t)heads * R * N;
  p->f = (uint32_t)at, at += R * F;
  p->end = at > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)at;
  p->rows = rows, p->positions = positions;
  return at;
}

void preln_layernorm(preln_t *p, uint32_t rows, uint32_t in, uint32_t out, uint32_t g_pa, uint32_t b_pa) {
  const uint32_t H = p->hidden, g = preln_ring_alloc(p, 2 * H);
  acc_load(p->dev, ACC_BUF_WGT, g, H, g_pa, 4u * H, 1, H);
  acc_load(p->dev, ACC_BUF_WGT, g + H, H, b_pa, 4u * H, 1, H);
  const acc_operand_t gamma = {ACC_BUF_WGT, g, H}, beta = {ACC_BUF_WGT, g + H, H};
  acc_layernorm(p->dev, rows, H, act(in, H), act(out, H), gamma, beta, p->ln_eps);
}

void preln_linear(preln_t *p, uint32_t k, uint32_t n, uint32_t w_pa, uint32_t b_pa, uint32_t flags, uint32_t x, uint32_t rows,
                   uint32_t y, uint32_t tag) {
  acc_dev_t *dev = p->dev;
  const uint32_t nm_n = p->nm_cfg & 0xFFu, nm_m = (p->nm_cfg >> 8) & 0xFFu;
  const uint32_t kc = (flags & ACC_MATMUL_NM_WEIGHTS) ? (k + nm_m - 1) / nm_m * nm_n : k;
  const acc_gemm_shape_t shape = {rows, k, n, ACC_GEMM_ORDER_IJ, ACC_GEMM_A_ON_CHIP | ACC_GEMM_C_ON_CHIP, kc + 1u, 0, p->ring_end / 2};
  acc_gemm_plan_t plan;
  const uint32_t nt = acc_gemm_plan(dev, &shape, &plan) == FW_OK ? plan.nt : dev->tile_y;
  acc_set_tag(dev, tag);
  for (uint32_t j0 = 0; j0 < n; j0 += nt) {
    const uint32_t nc = umin(nt, n - j0), w = preln_ring_alloc(p, (kc + 1u) * nc);
    if (flags & ACC_MATMUL_NM_WEIGHTS)
      acc_load_nm(dev, w, nc, w_pa + 4u * j0, 4u * n, kc, nc);
    else
      acc_load(dev, ACC_BUF_WGT, w, nc, w_pa + 4u * j0, 4u * n, kc, nc);
    acc_load(dev, ACC_BUF_WGT, w + kc * nc, nc, b_pa + 4u * j0, 4u * nc, 1, nc);
    const acc_operand_t wt = {ACC_BUF_WGT, w, nc}, bias = {ACC_BUF_WGT, w + kc * nc, nc};
    acc_matmul(dev, flags | ACC_MATMUL_BIAS, rows, k, nc, act(x, k), wt, act(y + j0, n), bias);
  }
}

void preln_layer(preln_t *p, const fw_bert_layer_t *L, uint32_t l, uint32_t rows, uint32_t p0, uint32_t kv_pa, uint32_t kv_rows,
                 uint32_t seq) {
  acc_dev_t *dev = p->dev;
  const uint32_t H = p->hidden, d = L->head_dim, A = L->heads * d, R = rows, N = p0 + rows;
  const uint32_t prune = (p->flags & PRELN_DYNATRAN) ? ACC_MATMUL_PRUNE_OUT : 0u;
  const uint32_t nmw = (p->flags & PRELN_NM_WEIGHTS) ? ACC_MATMUL_NM_WEIGHTS : 0u;
  const uint32_t nma = (p->flags & PRELN_NM_ACT) ? ACC_MATMUL_NM_ACT : 0u;
  const uint32_t no_head = ACC_TAG_HEAD_MAX, tseq = umin(seq, ACC_TAG_SEQ_MAX);

  /* Attention sublayer: LN_1, Q / K / V (this step's keys and values after the cached ones). */
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, l, no_head, tseq));
  preln_layernorm(p, R, p->x, p->a, L->ln1_g, L->ln1_b);
  preln_linear(p, H, A, L->wq, L->bq, prune | nmw | nma, p->a, R, p->q, acc_tag(ACC_TAG_Q, l, no_head, tseq));
  preln_linear(p, H, A, L->wk, L->bk, prune | nmw | nma, p->a, R, p->k + p0 * A, acc_tag(ACC_TAG_K, l, no_head, tseq));
  preln_linear(p, H, A, L->wv, L->bv, prune | nmw, p->a, R, p->v + p0 * A, acc_tag(ACC_TAG_V, l, no_head, tseq));
  if (kv_pa) {
    const uint32_t k_pa = kv_pa, v_pa = kv_pa + 4u * kv_rows * A;
    acc_set_tag(dev, acc_tag(ACC_TAG_IO, l, no_head, tseq));
    if (p0) { /* the cached positions */
      acc_load(dev, ACC_BUF_ACT, p->k, A, k_pa, 4u * A, p0, A);
      acc_load(dev, ACC_BUF_ACT, p->v, A, v_pa, 4u * A, p0, A);
    }
    acc_store(dev, ACC_BUF_ACT, p->k + p0 * A, A, k_pa + 4u * p0 * A, 4u * A, R, A); /* append */
    acc_store(dev, ACC_BUF_ACT, p->v + p0 * A, A, v_pa + 4u * p0 * A, 4u * A, R, A);
  }
  /* Per head, in waves (so that heads run concurrently): raw scores (DynaTran before scaling),
   * softmax in place (scale, causal mask, top-k, DynaTran), P . V. */
  for (uint32_t h = 0; h < L->heads; ++h) {
    acc_set_tag(dev, acc_tag(ACC_TAG_SCORES, l, h, tseq));
    acc_matmul(dev, prune | ACC_MATMUL_TRANSPOSE_B, R, d, N, act(p->q + h * d, A), act(p->k + h * d, A), act(p->sc + h * R * N, N),
               kNoBias);
  }
  const uint32_t sm = ((p->flags & PRELN_DYNATRAN) ? ACC_SOFTMAX_PRUNE_OUT : 0u) | ((p->flags & PRELN_TOPK_EXACT) ? ACC_SOFTMAX_TOPK_EXACT : 0u) |
                      ((p->flags & PRELN_CAUSAL) ? ACC_SOFTMAX_CAUSAL : 0u);
  for (uint32_t h = 0; h < L->heads; ++h) {
    acc_set_tag(dev, acc_tag(ACC_TAG_PROBS, l, h, tseq));
    const acc_operand_t s = act(p->sc + h * R * N, N);
    acc_softmax(dev, sm, R, N, N, s, s, L->score_scale, p->topk);
  }
  for (uint32_t h = 0; h < L->heads; ++h) {
    acc_set_tag(dev, acc_tag(ACC_TAG_CONTEXT, l, h, tseq));
    acc_matmul(dev, prune | nma, R, N, d, act(p->sc + h * R * N, N), act(p->v + h * d, A), act(p->ctx + h * d, A), kNoBias);
  }
  preln_linear(p, A, H, L->wo, L->bo, prune | nmw, p->ctx, R, p->t, acc_tag(ACC_TAG_ATTN_OUT, l, no_head, tseq));
  acc_set_tag(dev, acc_tag(ACC_TAG_RESIDUAL, l, no_head, tseq));
  acc_add(dev, R, H, act(p->t, H), act(p->x, H), act(p->x, H));

  /* MLP sublayer (one inner size: L->n_ffn == 1): LN_2, hidden -> ffn[0] (DynaTran, then GELU) -> hidden, residual. */
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, l, no_head, tseq));
  preln_layernorm(p, R, p->x, p->a, L->ln2_g, L->ln2_b);
  const uint32_t F = L->ffn[0];
  preln_linear(p, H, F, L->ffn_w[0], L->ffn_b[0], prune | nmw | nma | ACC_MATMUL_GELU, p->a, R, p->f, acc_tag(ACC_TAG_FFN1, l, no_head, tseq));
  preln_linear(p, F, H, L->ffn_w[1], L->ffn_b[1], prune | nmw, p->f, R, p->t, acc_tag(ACC_TAG_FFN2, l, no_head, tseq));
  acc_set_tag(dev, acc_tag(ACC_TAG_RESIDUAL, l, no_head, tseq));
  acc_add(dev, R, H, act(p->t, H), act(p->x, H), act(p->x, H));
}
