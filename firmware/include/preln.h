/* A pre-LN transformer layer on the accelerator, as GPT-2 (and ViT) stack them:
 *   x = x + W_O . Attention(LN_1(x));   x = x + MLP(LN_2(x))
 * over `rows` rows of the residual stream x that hold positions p0 .. p0 + rows - 1. With a KV
 * cache in DRAM, the keys and values of positions 0 .. p0 - 1 are loaded from it and the rows'
 * own keys and values are appended to it (stored), so a decoder runs its prefill in chunks and
 * then one token per step. With PRELN_CAUSAL the SOFTMAX descriptors mask future positions.
 * Weights stream through the weight buffer as a ring, in column tiles the driver's GEMM planner
 * sizes; layer-norm parameters go through the same ring. The MLP has one inner size (n_ffn == 1). */
#ifndef PRELN_H
#define PRELN_H

#include <stdint.h>

#include "acc_driver.h"
#include "fw_bert.h"

enum preln_flags {
  PRELN_DYNATRAN = 1u << 0,   /* DynaTran: Q, K, V, raw scores, probabilities, context, W_O, MLP outputs */
  PRELN_TOPK_EXACT = 1u << 1, /* top-k keeps exactly k */
  PRELN_NM_WEIGHTS = 1u << 2, /* N:M compressed weights (NM_CFG) */
  PRELN_NM_ACT = 1u << 3,     /* dynamic N:M on Q, K, the context and the MLP's first output */
  PRELN_CAUSAL = 1u << 4,     /* causal mask on the scores */
};

typedef struct preln {
  acc_dev_t *dev;
  uint32_t hidden, flags, topk, ln_eps, nm_cfg;
  uint32_t ring, ring_end; /* weight ring: next free word, size */
  /* Activation plan (word indices in the activation buffer), from preln_plan. */
  uint32_t x;             /* rows x hidden: the residual stream (the caller fills it) */
  uint32_t a;             /* rows x hidden: layer-norm outputs (after the last layer: free for the caller) */
  uint32_t t;             /* rows x hidden: sublayer outputs */
  uint32_t q, ctx;        /* rows x attention width */
  uint32_t k, v;          /* positions x attention width: every key and value the rows attend to */
  uint32_t sc;            /* heads x rows x positions: scores, then probabilities */
  uint32_t f;             /* rows x widest MLP size */
  uint32_t end;           /* first word after the plan */
  uint32_t rows, positions; /* what the plan holds */
} preln_t;

/* Lays out the activation buffer for up to `rows` rows attending to up to `positions` positions
 * with these layers; returns the words it needs (compare with dev->act_words). */
uint64_t preln_plan(preln_t *p, const fw_bert_layer_t *layers, uint32_t n_layers, uint32_t rows, uint32_t positions);

/* `words` contiguous words of the weight ring. */
uint32_t preln_ring_alloc(preln_t *p, uint32_t words);

/* Row-wise layer norm of rows x hidden, in -> out (may be in place), gamma/beta from DRAM. */
void preln_layernorm(preln_t *p, uint32_t rows, uint32_t in, uint32_t out, uint32_t g_pa, uint32_t b_pa);

/* y[rows x n] = act(prune(x[rows x k] . W + b)) (flags: ACC_MATMUL_*), W (k x n, or N:M compressed)
 * and b from DRAM, streamed through the ring in column tiles: x and y stay on chip, W passes once. */
void preln_linear(preln_t *p, uint32_t k, uint32_t n, uint32_t w_pa, uint32_t b_pa, uint32_t flags, uint32_t x, uint32_t rows, uint32_t y,
                  uint32_t tag);

/* Layer l (its table entry L) over p->x. kv_pa: the layer's cache (K then V, kv_rows rows each)
 * or 0 for none (then p0 must be 0). `seq` goes into the trace tags. */
void preln_layer(preln_t *p, const fw_bert_layer_t *L, uint32_t l, uint32_t rows, uint32_t p0, uint32_t kv_pa, uint32_t kv_rows,
                 uint32_t seq);

#endif /* PRELN_H */
