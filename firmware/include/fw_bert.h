/* The BERT job: what the platform places in DRAM for the firmware's encoder compiler. All tensors
 * are words of the number format in 32-bit containers (per tensor scaled with FW_BERT_SCALED), row-major; weight matrices are stored in x out (the
 * platform transposes PyTorch's out x in), so y = x . W + b. */
#ifndef FW_BERT_H
#define FW_BERT_H

#include <stdint.h>

#define FW_BERT_MAX_FFN 4 /* FFN sizes per layer (AccelTran's model dicts list them) */
#define FW_BERT_MAX_HEAD_WEIGHTS 32 /* heads with a matrix of their own (all but SDP) per layer */

/* Head kinds of AccelTran's model dicts (docs/transformers.md, "Model dicts"). */
enum fw_bert_head_kind {
  FW_BERT_HEAD_SDP = 0,  /* softmax(Q_h K_h^T / sqrt(d)) V_h */
  FW_BERT_HEAD_WMA = 1,  /* as SDP with the keys K_h . w first (w: d x d) */
  FW_BERT_HEAD_DFT = 2,  /* w . V_h, w the S x S real part of the DFT */
  FW_BERT_HEAD_DCT = 3,  /* w . V_h, w the S x S DCT-II */
  FW_BERT_HEAD_CONV = 4, /* sum over taps j of V_h(rows shifted by j - (kernel-1)/2) . w_j, + b */
};

/* One head of a layer: its columns, and its matrix in DRAM (in x out, like the linears). */
typedef struct fw_bert_head {
  uint32_t kind;        /* enum fw_bert_head_kind */
  uint32_t dim;         /* d: its columns of V and of the context */
  uint32_t col;         /* its first column of V and of the context */
  uint32_t qk_col;      /* SDP, WMA: its first column of Q and K */
  uint32_t score_scale; /* SDP, WMA: the softmax's scale, 1.0 (the query weights carry 1/sqrt(d)) */
  uint32_t kernel;      /* CONV: taps */
  uint32_t w, b;        /* WMA: d x d; DFT, DCT: S x S; CONV: kernel x (d x d) stacked by rows, then b: d */
} fw_bert_head_t;

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
  /* Per-tensor formats (int8, int16): every descriptor carries its operands' scales from the
   * scale table (scales, layer_scales) */
  FW_BERT_SCALED = 1u << 14,
};

/* FW_BERT_SCALED: one layer's tensors' fraction bits f (a word w stands for w * 2^-f). The LN
 * outputs' beta has the output's fraction bits; eps are in units of the LN input's variance. */
typedef struct fw_bert_layer_scales {
  uint32_t x; /* the layer's input */
  uint32_t wq, bq, q, wk, bk, k, wv, bv, v;
  uint32_t scores, probs, ctx;
  uint32_t wo, bo, attn, res1; /* res1: attn + x */
  uint32_t ln1_g, ln1, ln1_eps;
  uint32_t ffn_w[FW_BERT_MAX_FFN + 1], ffn_b[FW_BERT_MAX_FFN + 1], ffn[FW_BERT_MAX_FFN + 1]; /* ffn[n_ffn]: FFN2's output */
  uint32_t res2; /* ffn[n_ffn] + ln1 */
  uint32_t ln2_g, ln2, ln2_eps; /* ln2: the layer's output */
} fw_bert_layer_scales_t;

/* FW_BERT_SCALED: the embeddings' and the pooler's fraction bits. */
typedef struct fw_bert_scales {
  uint32_t word, pos, type, pos_type, emb_sum; /* pos_type = pos + type; emb_sum = word + pos_type */
  uint32_t emb_ln_g, emb, emb_eps;             /* emb: the embedding layer norm's output (layer 0's x) */
  uint32_t pool_w, pool_b, pooled;
} fw_bert_scales_t;

typedef struct fw_bert_layer {
  uint32_t heads, head_dim;  /* heads; head_dim: their size when all are equal, else 0 */
  uint32_t score_scale;      /* the SCORE path's scale (uniform SDP layers): 1.0, the query weights carry 1/sqrt(head_dim) */
  uint32_t n_ffn;            /* FFN sizes: hidden -> ffn[0] -> ... -> ffn[n_ffn-1] -> hidden */
  uint32_t ffn[FW_BERT_MAX_FFN];
  uint32_t wq, bq, wk, bk;         /* hidden x qk_width, qk_width */
  uint32_t wv, bv;                 /* hidden x A, A (A: the sum of the head sizes) */
  uint32_t wo, bo;                 /* A x hidden, hidden */
  uint32_t ln1_g, ln1_b;           /* hidden */
  uint32_t ffn_w[FW_BERT_MAX_FFN + 1], ffn_b[FW_BERT_MAX_FFN + 1];
  uint32_t ln2_g, ln2_b;
  uint32_t hidden;      /* this layer's hidden size */
  uint32_t head_table;  /* DRAM: heads x fw_bert_head_t */
  uint32_t qk_width;    /* columns of Q and K: the SDP and WMA heads' sizes */
  uint32_t proj_w, proj_b; /* FlexiBERT's projection to the next layer's hidden size (GELU after); 0: none */
  uint32_t next_hidden; /* the hidden size after this layer (its own without a projection) */
} fw_bert_layer_t;

typedef struct fw_bert_args {
  uint32_t layers, hidden, seq, batch;
  uint32_t flags;     /* enum fw_bert_flags */
  uint32_t tau;       /* DynaTran threshold: in the format (qM.N), in units of 2^-16 with FW_BERT_SCALED */
  uint32_t topk;      /* top-k on the probabilities; 0 = off */
  uint32_t ln_eps;    /* layer-norm epsilon in units of 2^-2n (a variance); FW_BERT_SCALED: per layer norm in the scale table */
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
  uint32_t scales;       /* FW_BERT_SCALED: DRAM: fw_bert_scales_t */
  uint32_t layer_scales; /* FW_BERT_SCALED: DRAM: layers x fw_bert_layer_scales_t */
} fw_bert_args_t;

#endif /* FW_BERT_H */
