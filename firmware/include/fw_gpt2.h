/* The GPT-2 job: what the platform places in DRAM for the firmware's decoder compiler
 * (firmware/apps/gpt2.c). Tensors are words of the number format in 32-bit containers, row-major;
 * weight matrices are in x out (Hugging Face's Conv1D layout, which GPT-2 uses), so y = x . W + b.
 * The layers are described by fw_bert_layer_t (the same parameters: Q, K, V (c_attn split in
 * three), the output projection, ln_1 as ln1_*, the MLP (c_fc, c_proj) as ffn_*, ln_2 as ln2_*). */
#ifndef FW_GPT2_H
#define FW_GPT2_H

#include <stdint.h>

#include "fw_bert.h"

enum fw_gpt2_flags {
  FW_GPT2_DYNATRAN = 1u << 0,   /* DynaTran with tau on the tensors the AccelTran paper names */
  FW_GPT2_TOPK_EXACT = 1u << 1, /* top-k keeps exactly k (sorter); else strictly greater than the k-th */
  FW_GPT2_NM_WEIGHTS = 1u << 2, /* layer weights are N:M compressed (nm_cfg) */
  FW_GPT2_NM_ACT = 1u << 3,     /* dynamic N:M on Q, K, the context and the MLP's first output */
};

/* One step of a sequence: step 0 is the prefill (it chooses the first new token), step t >= 1
 * the decode step that runs new token t through the model and chooses token t + 1. The counters
 * are the accelerator's, read after the step drained (cumulative since the job started). */
typedef struct fw_gpt2_step {
  uint32_t token; /* the greedy choice (lowest index among equal logits) */
  uint32_t position; /* first position the step ran (0 for the prefill) */
  uint32_t rows;     /* positions it ran */
  uint32_t descriptors;
  uint32_t cycles_lo, cycles_hi;     /* PERF_CYCLES */
  uint32_t macs_lo, macs_hi;         /* PERF_MACS */
  uint32_t dram_rd_lo, dram_rd_hi;   /* PERF_DRAM_RD */
  uint32_t dram_wr_lo, dram_wr_hi;   /* PERF_DRAM_WR */
  uint32_t reserved[4];
} fw_gpt2_step_t;

typedef struct fw_gpt2_args {
  uint32_t layers, hidden, batch;
  uint32_t prompt_len; /* P: prompt tokens per sequence (the prefill) */
  uint32_t new_tokens; /* T: decode steps after the prefill (0: the prefill alone) */
  uint32_t flags;      /* enum fw_gpt2_flags */
  uint32_t tau, topk, ln_eps, nm_cfg;
  uint32_t vocab, max_pos;
  uint32_t tokens;      /* DRAM: batch x P u32 prompt ids */
  uint32_t wte, wpe;    /* vocab x hidden (also the LM head: logits = h . wte^T), max_pos x hidden */
  uint32_t lnf_g, lnf_b;
  uint32_t layer_table; /* DRAM: layers x fw_bert_layer_t */
  uint32_t kv_cache;    /* DRAM: per layer, K then V, each kv_rows x attention width (one sequence at a time) */
  uint32_t kv_rows;     /* positions the cache holds: P + T */
  uint32_t out_hidden;  /* DRAM: batch*P x hidden, the final layer norm's output of the prompt */
  uint32_t out_logits;  /* DRAM: batch x (T+1) x vocab, the logits of every step */
  uint32_t steps;       /* DRAM: batch x (T+1) fw_gpt2_step_t */
  uint32_t chunk;       /* out: prompt rows per prefill chunk (what fits the activation buffer) */
} fw_gpt2_args_t;

#endif /* FW_GPT2_H */
