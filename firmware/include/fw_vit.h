/* The ViT job: what the platform places in DRAM for the firmware's ViT compiler
 * (firmware/apps/vit.c). Tensors are words of the number format in 32-bit containers, row-major;
 * weight matrices are in x out, so y = x . W + b. The patch embedding is a (3 P P) x hidden
 * matrix (Hugging Face's conv weight [hidden, 3, P, P] flattened), each image's patches are
 * rows of 3 P P values (channel, then row, then column within the patch, the conv's order). The
 * layers are described by fw_bert_layer_t (layernorm_before as ln1_*, layernorm_after as ln2_*). */
#ifndef FW_VIT_H
#define FW_VIT_H

#include <stdint.h>

#include "fw_bert.h"

enum fw_vit_flags {
  FW_VIT_DYNATRAN = 1u << 0,   /* DynaTran with tau */
  FW_VIT_TOPK_EXACT = 1u << 1, /* top-k keeps exactly k */
  FW_VIT_NM_WEIGHTS = 1u << 2, /* layer weights are N:M compressed (nm_cfg) */
  FW_VIT_NM_ACT = 1u << 3,     /* dynamic N:M on Q, K, the context and the MLP's first output */
};

typedef struct fw_vit_args {
  uint32_t layers, hidden, batch;
  uint32_t patches;     /* N: patches per image (tokens = N + 1 with the CLS token) */
  uint32_t patch_dim;   /* 3 P P */
  uint32_t classes;
  uint32_t flags;       /* enum fw_vit_flags */
  uint32_t tau, topk, ln_eps, nm_cfg;
  uint32_t images;      /* DRAM: batch x N x patch_dim, the flattened patches */
  uint32_t patch_w, patch_b; /* patch_dim x hidden, hidden */
  uint32_t cls, pos;    /* hidden; (N + 1) x hidden */
  uint32_t lnf_g, lnf_b;
  uint32_t head_w, head_b; /* hidden x classes, classes */
  uint32_t layer_table; /* DRAM: layers x fw_bert_layer_t */
  uint32_t out_hidden;  /* DRAM: batch x (N + 1) x hidden, the final layer norm's output */
  uint32_t out_logits;  /* DRAM: batch x classes, the CLS row's logits */
} fw_vit_args_t;

#endif /* FW_VIT_H */
