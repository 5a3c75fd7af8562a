/* The BERT job: what the platform places in DRAM for the firmware's encoder compiler. All tensors
 * are Q4.16 words in 32-bit containers, row-major; weight matrices are stored in x out (the
 * platform transposes PyTorch's out x in), so y = x . W + b. */
#ifndef FW_BERT_H
#define FW_BERT_H

#include <stdint.h>

#define FW_BERT_MAX_FFN 4 /* FFN sizes per layer (AccelTran's model dicts list them) */

enum fw_bert_flags {
  FW_BERT_TOKENS = 1u << 0,     /* input: token ids + embedding tables (else: encoder-input embeddings) */
  FW_BERT_POOLER = 1u << 1,     /* compute the pooled output (tanh(W_p h_CLS + b_p)) */
  FW_BERT_DYNATRAN = 1u << 2,   /* DynaTran with tau on every tensor the AccelTran paper names */
  FW_BERT_TOPK_EXACT = 1u << 3, /* top-k keeps exactly k (sorter); else strictly greater than the k-th */
  FW_BERT_LEOPARD = 1u << 4,    /* LeOPArd score thresholds (SCORE descriptors) */
  FW_BERT_LEOPARD_PER_HEAD = 1u << 5,
  FW_BERT_HDP_HEADS = 1u << 6,  /* HDP head pruning */
  FW_BERT_HDP_BLOCKS = 1u << 7, /* HDP row-balanced block pruning */
  FW_BERT_HDP_APPROX = 1u << 8, /* HDP approximation of the kept scores */
  FW_BERT_NM_WEIGHTS = 1u << 9, /* encoder weights are N:M compressed (nm_cfg) */
  FW_BERT_NM_ACT = 1u << 10,    /* dynamic N:M on Q, K, the context and the FFN1 output */
  /* As AccelTran's Python simulator compiles the model (compat.* configuration keys): */
  FW_BERT_WHOLE_TABLE = 1u << 11,     /* load the whole word-embedding table (and S position rows) first */
  FW_BERT_WEIGHTS_PER_SEQ = 1u << 12, /* load every weight matrix once per sequence of the batch */
  FW_BERT_IN_ORDER_LOADS = 1u << 13,  /* load each weight whole, just before its use */
};

typedef struct fw_bert_layer {
  uint32_t heads, head_dim;  /* attention: heads of head_dim (heads * head_dim = attention width A) */
  uint32_t score_scale;      /* the softmax's score scale (1.0: the query weights carry 1/sqrt(head_dim)) */
  uint32_t n_ffn;            /* FFN sizes: hidden -> ffn[0] -> ... -> ffn[n_ffn-1] -> hidden */
  uint32_t ffn[FW_BERT_MAX_FFN];
  uint32_t wq, bq, wk, bk, wv, bv; /* hidden x A, A */
  uint32_t wo, bo;                 /* A x hidden, hidden */
  uint32_t ln1_g, ln1_b;           /* hidden */
  uint32_t ffn_w[FW_BERT_MAX_FFN + 1], ffn_b[FW_BERT_MAX_FFN + 1];
  uint32_t ln2_g, ln2_b;
  uint32_t reserved[6];
} fw_bert_layer_t;

typedef struct fw_bert_args {
  uint32_t layers, hidden, seq, batch;
  uint32_t flags;     /* enum fw_bert_flags */
  uint32_t tau;       /* DynaTran threshold, Q4.16 */
  uint32_t topk;      /* top-k on the probabilities; 0 = off */
  uint32_t ln_eps;    /* layer-norm epsilon in units of 2^-32 */
  uint32_t valid_len; /* DRAM: batch x u32, valid tokens per sequence (the rest is padding, masked) */
  uint32_t tokens;    /* DRAM: batch x seq u32 token ids (FW_BERT_TOKENS) */
  uint32_t input;     /* DRAM: batch*seq x hidden encoder input (without FW_BERT_TOKENS) */
  uint32_t word_emb, pos_emb, type_emb, emb_ln_g, emb_ln_b; /* vocab x hidden, max_pos x hidden, 2 x hidden */
  uint32_t vocab, max_pos;
  uint32_t layer_table; /* DRAM: layers x fw_bert_layer_t */
  uint32_t pool_w, pool_b;
  uint32_t out_hidden;  /* DRAM: batch*seq x hidden, the encoder's output */
  uint32_t out_pooled;  /* DRAM: batch x hidden */
  uint32_t group;       /* out: sequences processed together (what fits the activation buffer) */
  /* Pruning units (docs/pruning.md); register values as they are written. */
  uint32_t leopard_key_bits;
  uint32_t leopard_thresholds; /* DRAM: int64 per layer (or per layer and head, layer-major) */
  uint32_t hdp_frac_bits, hdp_head_ctrl, hdp_head_param, hdp_block_ctrl, hdp_block_param;
  uint32_t nm_cfg;
} fw_bert_args_t;

#endif /* FW_BERT_H */
