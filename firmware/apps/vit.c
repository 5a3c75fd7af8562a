/* Vision Transformers (ViT, DeiT) on the accelerator: compiles the encoder of fw_vit_args_t into
 * descriptors, one image after the other.
 *
 * Per image: the patch embedding is a MATMUL of the image's N flattened patches (N x 3PP, loaded
 * into the MLP's rows, free before the first layer) by the (3PP) x hidden projection, written to
 * rows 1..N of the residual stream; row 0 is the CLS token; the position embeddings are ADDed;
 * then the pre-LN layers (preln.c, without a causal mask or a KV cache: every token attends to
 * all N + 1), the final layer norm, and the classification head on the CLS row alone. */
#include "acc_driver.h"
#include "fw_job.h"
#include "fw_vit.h"
#include "hal.h"
#include "preln.h"

static uint32_t preln_flags_of(const fw_vit_args_t *a) {
  return ((a->flags & FW_VIT_DYNATRAN) ? PRELN_DYNATRAN : 0u) | ((a->flags & FW_VIT_TOPK_EXACT) ? PRELN_TOPK_EXACT : 0u) |
         ((a->flags & FW_VIT_NM_WEIGHTS) ? PRELN_NM_WEIGHTS : 0u) | ((a->flags & FW_VIT_NM_ACT) ? PRELN_NM_ACT : 0u);
}

uint32_t run_vit(acc_dev_t *dev, fw_vit_args_t *a);

uint32_t run_vit(acc_dev_t *dev, fw_vit_args_t *a) {
  preln_t p;
  const fw_bert_layer_t *layers = (const fw_bert_layer_t *)hal_phys_to_virt(a->layer_table);
  p.dev = dev;
  p.hidden = a->hidden;
  p.flags = preln_flags_of(a);
  p.topk = a->topk, p.ln_eps = a->ln_eps, p.nm_cfg = a->nm_cfg;
  p.ring = 0, p.ring_end = dev->wgt_words;
  const uint32_t H = a->hidden, N = a->patches, R = N + 1u, D = a->patch_dim, C = a->classes;
  if (!a->layers || !H || !a->batch || !N || !D || !C) return FW_ERR_BAD_JOB;
  for (uint32_t l = 0; l < a->layers; ++l) {
    const fw_bert_layer_t *L = &layers[l];
    if (!L->heads || !L->head_dim || L->n_ffn != 1) return FW_ERR_BAD_JOB;
    if (H > dev->max_k || L->heads * L->head_dim > dev->max_k || R > dev->max_k || L->ffn[0] > dev->max_k) return FW_ERR_UNSUPPORTED;
  }
  if (D > dev->max_k) return FW_ERR_UNSUPPORTED;
  if (2u * H > dev->wgt_words / 2) return FW_ERR_NO_MEMORY;
  /* The plan, then the patches (in the MLP's rows if they fit there, else after the plan), then the logits. */
  const uint64_t plan = preln_plan(&p, layers, a->layers, R, R);
  const uint32_t patches = (uint64_t)N * D <= (uint64_t)p.end - p.f ? p.f : p.end;
  const uint64_t patch_end = patches == p.end ? plan + (uint64_t)N * D : plan;
  const uint32_t logits = (uint32_t)(patch_end > 0xFFFFFFFFu ? 0xFFFFFFFFu : patch_end);
  if (patch_end + C > dev->act_words) {
    hal_printf("vit: %u tokens need %lu words of activation buffer, it has %lu\n", (unsigned)R, (unsigned long)(patch_end + C),
               (unsigned long)dev->act_words);
    return FW_ERR_NO_MEMORY;
  }
  if (a->flags & FW_VIT_DYNATRAN) hal_write32(dev->regs + ACC_REG_DYNATRAN_TAU, a->tau);
  if (a->flags & (FW_VIT_NM_WEIGHTS | FW_VIT_NM_ACT)) hal_write32(dev->regs + ACC_REG_NM_CFG, a->nm_cfg);

  for (uint32_t s = 0; s < a->batch; ++s) {
    const uint32_t tseq = s < ACC_TAG_SEQ_MAX ? s : ACC_TAG_SEQ_MAX;
    acc_set_tag(dev, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, tseq));
    acc_load(dev, ACC_BUF_ACT, patches, D, a->images + 4u * s * N * D, 4u * D, N, D);
    preln_linear(&p, D, H, a->patch_w, a->patch_b, 0u, patches, N, p.x + H, acc_tag(ACC_TAG_EMBEDDING, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, tseq));
    acc_load(dev, ACC_BUF_ACT, p.x, H, a->cls, 4u * H, 1, H);
    acc_load(dev, ACC_BUF_ACT, p.t, H, a->pos, 4u * H, R, H);
    const acc_operand_t x = {ACC_BUF_ACT, p.x, H}, t = {ACC_BUF_ACT, p.t, H};
    acc_add(dev, R, H, t, x, x);
    for (uint32_t l = 0; l < a->layers; ++l) preln_layer(&p, &layers[l], l, R, 0, 0, 0, s);
    acc_set_tag(dev, acc_tag(ACC_TAG_LAYERNORM, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, tseq));
    preln_layernorm(&p, R, p.x, p.a, a->lnf_g, a->lnf_b);
    preln_linear(&p, H, C, a->head_w, a->head_b, 0u, p.a, 1, logits, acc_tag(ACC_TAG_POOLER, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, tseq));
    acc_set_tag(dev, acc_tag(ACC_TAG_IO, ACC_TAG_LAYER_MAX, ACC_TAG_HEAD_MAX, tseq));
    acc_store(dev, ACC_BUF_ACT, p.a, H, a->out_hidden + 4u * s * R * H, 4u * H, R, H);
    acc_store(dev, ACC_BUF_ACT, logits, C, a->out_logits + 4u * s * C, 4u * C, 1, C);
  }
  if (acc_sync(dev) != ACC_ERR_NONE) return FW_ERR_ACCEL;
  hal_printf("vit: %u layers, %u images of %u patches, %u descriptors\n", (unsigned)a->layers, (unsigned)a->batch, (unsigned)N,
             (unsigned)dev->submitted);
  return FW_OK;
}
