/* GPT-2 on the accelerator: compiles the decoder of fw_gpt2_args_t into descriptors and decodes
 * greedily.
 *
 * Per sequence: the prefill runs the prompt's P positions through the layers (in chunks of rows
 * that fit the activation buffer: each chunk attends to the cached keys and values of the chunks
 * before it), then T decode steps each run one token. Every step is the same op graph over its
 * rows: the token rows of the word-embedding table gathered by LOADs plus the position rows, the
 * pre-LN layers (preln.c: causal attention, the KV cache in DRAM appended by STOREs), the final
 * layer norm, and the tied LM head (logits = h . wte^T, a MATMUL with TRANSPOSE_B over wte's
 * rows streamed through the weight ring) for the step's last row. The logits go to DRAM; the
 * CPU picks the largest (greedy; the lowest index among equal ones) as the next token. */
#include "acc_driver.h"
#include "fw_gpt2.h"
#include "fw_job.h"
#include "hal.h"
#include "preln.h"

static uint32_t umin(uint32_t a, uint32_t b) { return a < b ? a : b; }

typedef struct gpt2 {
  preln_t p;
  const fw_gpt2_args_t *a;
  const fw_bert_layer_t *layers;
  uint32_t logits; /* activation-buffer word index of the vocab logits */
} gpt2_t;

static uint32_t preln_flags_of(const fw_gpt2_args_t *a) {
  return PRELN_CAUSAL | ((a->flags & FW_GPT2_DYNATRAN) ? PRELN_DYNATRAN : 0u) | ((a->flags & FW_GPT2_TOPK_EXACT) ? PRELN_TOPK_EXACT : 0u) |
         ((a->flags & FW_GPT2_NM_WEIGHTS) ? PRELN_NM_WEIGHTS : 0u) | ((a->flags & FW_GPT2_NM_ACT) ? PRELN_NM_ACT : 0u);
}

/* Words of the plan for chunks of `rows` rows. */
static uint64_t plan(gpt2_t *g, uint32_t rows) {
  const uint64_t words = preln_plan(&g->p, g->layers, g->a->layers, rows, g->a->kv_rows);
  g->logits = g->p.end;
  return words + g->a->vocab;
}

/* logits[1 x vocab] = h[1 x H] . wte^T: wte's rows (B^T) pass through the ring in tiles. */
static void lm_head(gpt2_t *g, uint32_t h) {
  preln_t *p = &g->p;
  acc_dev_t *dev = p->dev;
  const uint32_t H = p->hidden, V = g->a->vocab;
  uint32_t nt = p->ring_end / 2 / H;
  if (nt > 4096u) nt = 4096u;
  if (nt == 0) nt = 1;
  acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, ACC_TAG_SEQ_MAX));
  for (uint32_t j0 = 0; j0 < V; j0 += nt) {
    const uint32_t nc = umin(nt, V - j0), w = preln_ring_alloc(p, nc * H);
    acc_load(dev, ACC_BUF_WGT, w, H, g->a->wte + 4u * j0 * H, 4u * H, nc, H);
    const acc_operand_t x = {ACC_BUF_ACT, h, H}, wt = {ACC_BUF_WGT, w, H}, y = {ACC_BUF_ACT, g->logits + j0, V}, none = {0, 0, 0};
    acc_matmul(dev, ACC_MATMUL_TRANSPOSE_B, 1, H, nc, x, wt, y, none);
  }
}

/* Runs `rows` tokens (ids) at positions p0.. of sequence s through the decoder; stores the final
 * layer norm's rows to `hidden_pa` (0: not) and the last row's logits to `logits_pa` (0: none). */
static void forward_rows(gpt2_t *g, uint32_t s, const uint32_t *ids, uint32_t rows, uint32_t p0, uint32_t hidden_pa, uint32_t logits_pa) {
  preln_t *p = &g->p;
  acc_dev_t *dev = p->dev;
  const fw_gpt2_args_t *a = g->a;
  const uint32_t H = p->hidden;
  acc_set_tag(dev, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, umin(s, ACC_TAG_SEQ_MAX)));
  for (uint32_t r = 0; r < rows; ++r) {
    const uint32_t id = ids[r] < a->vocab ? ids[r] : 0; /* the platform checks ids; never read past the table */
    acc_load(dev, ACC_BUF_ACT, p->x + r * H, H, a->wte + 4u * id * H, 4u * H, 1, H);
  }
  acc_load(dev, ACC_BUF_ACT, p->t, H, a->wpe + 4u * p0 * H, 4u * H, rows, H);
  const acc_operand_t x = {ACC_BUF_ACT, p->x, H}, t = {ACC_BUF_ACT, p->t, H};
  acc_add(dev, rows, H, t, x, x);
  uint32_t kv = a->kv_cache;
  for (uint32_t l = 0; l < a->layers; ++l) {
    const fw_bert_layer_t *L = &g->layers[l];
    preln_layer(p, L, l, rows, p0, kv, a->kv_rows, s);
    kv += 4u * 2u * a->kv_rows * L->heads * L->head_dim;
  }
  acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, umin(s, ACC_TAG_SEQ_MAX)));
  preln_layernorm(p, rows, p->x, p->a, a->lnf_g, a->lnf_b);
  acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, umin(s, ACC_TAG_SEQ_MAX)));
  if (hidden_pa) acc_store(dev, ACC_BUF_ACT, p->a, H, hidden_pa, 4u * H, rows, H);
  if (!logits_pa) return; /* a prefill chunk before the last */
  lm_head(g, p->a + (rows - 1) * H);
  acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, umin(s, ACC_TAG_SEQ_MAX)));
  acc_store(dev, ACC_BUF_ACT, g->logits, a->vocab, logits_pa, 4u * a->vocab, 1, a->vocab);
}

/* Waits for the step, records the accelerator's counters and the greedy token. */
static uint32_t finish_step(gpt2_t *g, fw_gpt2_step_t *st, uint32_t logits_pa, uint32_t p0, uint32_t rows) {
  acc_dev_t *dev = g->p.dev;
  if (acc_sync(dev) != ACC_ERR_NONE) return FW_ERR_ACCEL;
  const int32_t *logits = (const int32_t *)hal_phys_to_virt(logits_pa);
  uint32_t best = 0;
  for (uint32_t j = 1; j < g->a->vocab; ++j)
    if (logits[j] > logits[best]) best = j;
  st->token = best, st->position = p0, st->rows = rows, st->descriptors = dev->submitted;
  st->cycles_lo = hal_read32(dev->regs + ACC_REG_PERF_CYCLES_LO), st->cycles_hi = hal_read32(dev->regs + ACC_REG_PERF_CYCLES_HI);
  st->macs_lo = hal_read32(dev->regs + ACC_REG_PERF_MACS_LO), st->macs_hi = hal_read32(dev->regs + ACC_REG_PERF_MACS_HI);
  st->dram_rd_lo = hal_read32(dev->regs + ACC_REG_PERF_DRAM_RD_LO), st->dram_rd_hi = hal_read32(dev->regs + ACC_REG_PERF_DRAM_RD_HI);
  st->dram_wr_lo = hal_read32(dev->regs + ACC_REG_PERF_DRAM_WR_LO), st->dram_wr_hi = hal_read32(dev->regs + ACC_REG_PERF_DRAM_WR_HI);
  return FW_OK;
}

uint32_t run_gpt2(acc_dev_t *dev, fw_gpt2_args_t *a);

uint32_t run_gpt2(acc_dev_t *dev, fw_gpt2_args_t *a) {
  gpt2_t g;
  g.a = a;
  g.layers = (const fw_bert_layer_t *)hal_phys_to_virt(a->layer_table);
  g.p.dev = dev;
  g.p.hidden = a->hidden;
  g.p.flags = preln_flags_of(a);
  g.p.topk = a->topk, g.p.ln_eps = a->ln_eps, g.p.nm_cfg = a->nm_cfg;
  g.p.ring = 0, g.p.ring_end = dev->wgt_words;
  const uint32_t P = a->prompt_len, T = a->new_tokens, H = a->hidden;
  if (!a->layers || !H || !a->batch || !P || !a->vocab || a->kv_rows != P + T || P + T > a->max_pos) return FW_ERR_BAD_JOB;
  for (uint32_t l = 0; l < a->layers; ++l) {
    const fw_bert_layer_t *L = &g.layers[l];
    if (!L->heads || !L->head_dim || L->n_ffn != 1) return FW_ERR_BAD_JOB;
    if (H > dev->max_k || L->heads * L->head_dim > dev->max_k || a->kv_rows > dev->max_k || L->ffn[0] > dev->max_k) return FW_ERR_UNSUPPORTED;
  }
  if (2u * H > dev->wgt_words / 2) return FW_ERR_NO_MEMORY;

  /* The largest prefill chunk whose plan fits the activation buffer. */
  uint32_t chunk = P;
  while (chunk > 0 && plan(&g, chunk) > dev->act_words) chunk = chunk > 16u ? chunk - chunk / 8u : chunk - 1u;
  if (chunk == 0) {
    hal_printf("gpt2: one row over %u positions needs %lu words of activation buffer, it has %lu\n", (unsigned)a->kv_rows,
               (unsigned long)plan(&g, 1), (unsigned long)dev->act_words);
    return FW_ERR_NO_MEMORY;
  }
  plan(&g, chunk);
  a->chunk = chunk;
  if (a->flags & FW_GPT2_DYNATRAN) hal_write32(dev->regs + ACC_REG_DYNATRAN_TAU, a->tau);
  if (a->flags & (FW_GPT2_NM_WEIGHTS | FW_GPT2_NM_ACT)) hal_write32(dev->regs + ACC_REG_NM_CFG, a->nm_cfg);

  const uint32_t *prompts = (const uint32_t *)hal_phys_to_virt(a->tokens);
  fw_gpt2_step_t *steps = (fw_gpt2_step_t *)hal_phys_to_virt(a->steps);
  for (uint32_t s = 0; s < a->batch; ++s) {
    const uint32_t *ids = prompts + s * P;
    fw_gpt2_step_t *st = steps + s * (T + 1u);
    const uint32_t logits0 = a->out_logits + 4u * s * (T + 1u) * a->vocab;
    for (uint32_t p0 = 0; p0 < P; p0 += chunk) {
      const uint32_t rows = umin(chunk, P - p0);
      forward_rows(&g, s, ids + p0, rows, p0, a->out_hidden + 4u * (s * P + p0) * H, p0 + rows == P ? logits0 : 0u);
    }
    uint32_t status = finish_step(&g, &st[0], logits0, 0, P);
    for (uint32_t t = 1; status == FW_OK && t <= T; ++t) {
      const uint32_t logits = logits0 + 4u * t * a->vocab, token = st[t - 1].token;
      forward_rows(&g, s, &token, 1, P + t - 1, 0, logits);
      status = finish_step(&g, &st[t], logits, P + t - 1, 1);
    }
    if (status != FW_OK) return status;
  }
  hal_printf("gpt2: %u layers, %u sequences, prompt %u in chunks of %u, %u decode steps, %u descriptors\n", (unsigned)a->layers,
             (unsigned)a->batch, (unsigned)P, (unsigned)chunk, (unsigned)T, (unsigned)dev->submitted);
  return FW_OK;
}
