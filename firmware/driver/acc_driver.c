#include "acc_driver.h"

#include <string.h>

#include "fw_job.h"
#include "hal.h"

static uint32_t rd(const acc_dev_t *dev, uint32_t reg) { return hal_read32(dev->regs + reg); }
static void wr(const acc_dev_t *dev, uint32_t reg, uint32_t v) { hal_write32(dev->regs + reg, v); }

int acc_open(acc_dev_t *dev, uint32_t ring_pa, uint32_t ring_bytes) {
  memset(dev, 0, sizeof *dev);
  dev->regs = ACC_MAP_ACC_REGS_BASE;
  if (rd(dev, ACC_REG_ID) != ACC_DEVICE_ID || (rd(dev, ACC_REG_VERSION) >> 16) != (ACC_DEVICE_VERSION >> 16))
    return FW_ERR_NO_DEVICE;
  dev->ring_pa = ring_pa;
  dev->entries = ring_bytes / ACC_DESC_BYTES;
  if (dev->entries > 65536u) dev->entries = 65536u;
  if (dev->entries < 2u || ring_pa % ACC_DESC_BYTES) return FW_ERR_NO_MEMORY;
  dev->ring = (acc_desc_t *)hal_phys_to_virt(ring_pa);
  dev->act_words = rd(dev, ACC_REG_HW_ACT_WORDS);
  dev->wgt_words = rd(dev, ACC_REG_HW_WGT_WORDS);
  dev->max_k = rd(dev, ACC_REG_HW_MAX_K);
  dev->tile_x = (rd(dev, ACC_REG_HW_TILE) >> 8) & 0xFFu;
  dev->tile_y = rd(dev, ACC_REG_HW_TILE) & 0xFFu;
  dev->softmax_units = rd(dev, ACC_REG_HW_PE) * rd(dev, ACC_REG_HW_SOFTMAX);
  dev->layernorm_units = rd(dev, ACC_REG_HW_PE) * rd(dev, ACC_REG_HW_LAYERNORM);
  dev->pes = rd(dev, ACC_REG_HW_PE);
  dev->lanes = rd(dev, ACC_REG_HW_LANES);
  dev->macs = rd(dev, ACC_REG_HW_MACS);
  dev->dram_bits_per_kcycle = rd(dev, ACC_REG_HW_DRAM_BW);
  dev->dram_latency = rd(dev, ACC_REG_HW_DRAM_LAT);
  dev->dma_channels = rd(dev, ACC_REG_HW_DMA_CHANNELS);
  dev->dma_outstanding = rd(dev, ACC_REG_HW_DMA_OUTSTANDING);
  dev->dma_burst = rd(dev, ACC_REG_HW_DMA_BURST);
  dev->buf_bits_per_kcycle = rd(dev, ACC_REG_HW_BUF_BW);
  dev->buf_ports = rd(dev, ACC_REG_HW_BUF_PORTS);

  wr(dev, ACC_REG_CTRL, ACC_CTRL_QUEUE_RESET);
  wr(dev, ACC_REG_QUEUE_BASE, ring_pa);
  wr(dev, ACC_REG_QUEUE_SIZE, dev->entries);
  wr(dev, ACC_REG_IRQ_STATUS, ACC_IRQ_STATUS_DONE | ACC_IRQ_STATUS_ERROR);
  wr(dev, ACC_REG_IRQ_ENABLE, ACC_IRQ_ENABLE_DONE | ACC_IRQ_ENABLE_ERROR);
  wr(dev, ACC_REG_CTRL, ACC_CTRL_ENABLE);
  return FW_OK;
}

uint32_t acc_sync(acc_dev_t *dev) {
  /* A stopped queue ignores the doorbell: report the stop instead of waiting forever. */
  if (dev->stopped) return dev->last_error.code;
  if (dev->pending) {
    wr(dev, ACC_REG_QUEUE_TAIL, dev->tail);
    dev->pending = 0;
  }
  for (;;) {
    hal_wait_irq();
    const uint32_t irq = rd(dev, ACC_REG_IRQ_STATUS);
    wr(dev, ACC_REG_IRQ_STATUS, irq); /* acknowledge */
    if (irq & ACC_IRQ_STATUS_ERROR) {
      dev->last_error.code = rd(dev, ACC_REG_ERR_CODE);
      dev->last_error.desc = rd(dev, ACC_REG_ERR_DESC);
      dev->last_error.info = rd(dev, ACC_REG_ERR_INFO);
      dev->last_error.irq_status = irq;
      dev->stopped = 1;
      return dev->last_error.code;
    }
    if (irq & ACC_IRQ_STATUS_DONE) return ACC_ERR_NONE;
  }
}

void acc_recover(acc_dev_t *dev) {
  wr(dev, ACC_REG_CTRL, ACC_CTRL_ENABLE | ACC_CTRL_QUEUE_RESET);
  dev->tail = 0;
  dev->pending = 0;
  dev->stopped = 0;
}

/* The next free slot, zeroed. A full ring is drained first (the hardware then retires
 * everything, so all slots are free again). */
static acc_desc_t *next_slot(acc_dev_t *dev) {
  if (dev->pending + 1 >= dev->entries) {
    /* An error here surfaces again at the caller's acc_sync: the queue stays stopped. */
    (void)acc_sync(dev);
  }
  acc_desc_t *d = &dev->ring[dev->tail];
  memset(d, 0, sizeof *d);
  return d;
}

static void commit_tagged(acc_dev_t *dev, uint32_t tag) {
  dev->ring[dev->tail].w[ACC_DESC_WORDS - 1] = tag;
  dev->tail = (dev->tail + 1) % dev->entries;
  dev->pending++;
  dev->submitted++;
}

static void commit(acc_dev_t *dev) { commit_tagged(dev, dev->tag); }

void acc_raw(acc_dev_t *dev, const acc_desc_t *src) {
  acc_desc_t *d = next_slot(dev);
  *d = *src;
  commit_tagged(dev, src->w[ACC_DESC_WORDS - 1]); /* as given, tag included */
}

static void transfer(acc_dev_t *dev, uint32_t op, uint32_t buf, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa,
                     uint32_t dram_stride, uint32_t rows, uint32_t cols) {
  acc_desc_t *d = next_slot(dev);
  d->load.header = op;
  d->load.dram_addr = dram_pa;
  d->load.dram_stride = dram_stride;
  d->load.rows = rows;
  d->load.cols = cols;
  d->load.buf = buf;
  d->load.buf_addr = buf_addr;
  d->load.buf_stride = buf_stride;
  commit(dev);
}

void acc_load(acc_dev_t *dev, uint32_t buf, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa, uint32_t dram_stride,
              uint32_t rows, uint32_t cols) {
  transfer(dev, ACC_OP_LOAD, buf, buf_addr, buf_stride, dram_pa, dram_stride, rows, cols);
}

void acc_load_nm(acc_dev_t *dev, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa, uint32_t dram_stride, uint32_t rows,
                 uint32_t cols) {
  transfer(dev, ACC_OP_LOAD | ACC_LOAD_NM_META, ACC_BUF_WGT, buf_addr, buf_stride, dram_pa, dram_stride, rows, cols);
}

void acc_store(acc_dev_t *dev, uint32_t buf, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa, uint32_t dram_stride,
               uint32_t rows, uint32_t cols) {
  transfer(dev, ACC_OP_STORE, buf, buf_addr, buf_stride, dram_pa, dram_stride, rows, cols);
}

/* The pending scale fields (acc_set_scale), once. */
static uint32_t take_scale(acc_dev_t *dev) {
  const uint32_t s = dev->scale;
  dev->scale = 0;
  return s;
}

static uint32_t field(uint32_t v, uint32_t mask, uint32_t shift) { return (v << shift) & mask; }

uint32_t acc_matmul_scale(uint32_t fa, uint32_t fb, uint32_t fc, uint32_t fbias) {
  return field(fa + fb - fc, ACC_MATMUL_OUT_SHIFT_MASK, ACC_MATMUL_OUT_SHIFT_SHIFT) | field(fc, ACC_MATMUL_OUT_FRAC_MASK, ACC_MATMUL_OUT_FRAC_SHIFT) |
         field(fa + fb - fbias, ACC_MATMUL_BIAS_SHIFT_MASK, ACC_MATMUL_BIAS_SHIFT_SHIFT);
}
uint32_t acc_softmax_scale(uint32_t fs, uint32_t fp) {
  return field(fs, ACC_SOFTMAX_IN_FRAC_MASK, ACC_SOFTMAX_IN_FRAC_SHIFT) | field(fp, ACC_SOFTMAX_OUT_FRAC_MASK, ACC_SOFTMAX_OUT_FRAC_SHIFT);
}
uint32_t acc_layernorm_scale(uint32_t fg, uint32_t fy) {
  return field(fg, ACC_LAYERNORM_GAMMA_FRAC_MASK, ACC_LAYERNORM_GAMMA_FRAC_SHIFT) | field(fy, ACC_LAYERNORM_OUT_FRAC_MASK, ACC_LAYERNORM_OUT_FRAC_SHIFT);
}
uint32_t acc_add_scale(uint32_t fa, uint32_t fb, uint32_t fc) {
  return field(fa, ACC_ADD_A_FRAC_MASK, ACC_ADD_A_FRAC_SHIFT) | field(fb, ACC_ADD_B_FRAC_MASK, ACC_ADD_B_FRAC_SHIFT) |
         field(fc, ACC_ADD_C_FRAC_MASK, ACC_ADD_C_FRAC_SHIFT);
}

void acc_matmul(acc_dev_t *dev, uint32_t flags, uint32_t m, uint32_t k, uint32_t n, acc_operand_t a, acc_operand_t b,
                acc_operand_t c, acc_operand_t bias) {
  acc_desc_t *d = next_slot(dev);
  acc_desc_matmul_t *x = &d->matmul;
  x->header = ACC_OP_MATMUL | flags | take_scale(dev);
  x->m = m, x->k = k, x->n = n;
  x->a_buf = a.buf, x->a_addr = a.addr, x->a_stride = a.stride;
  x->b_buf = b.buf, x->b_addr = b.addr, x->b_stride = b.stride;
  x->c_buf = c.buf, x->c_addr = c.addr, x->c_stride = c.stride;
  x->bias_buf = bias.buf, x->bias_addr = bias.addr;
  commit(dev);
}

void acc_softmax(acc_dev_t *dev, uint32_t flags, uint32_t rows, uint32_t cols, uint32_t valid_cols, acc_operand_t in,
                 acc_operand_t out, uint32_t scale, uint32_t topk) {
  acc_desc_t *d = next_slot(dev);
  acc_desc_softmax_t *x = &d->softmax;
  x->header = ACC_OP_SOFTMAX | flags | take_scale(dev);
  x->rows = rows, x->cols = cols, x->valid_cols = valid_cols;
  x->in_buf = in.buf, x->in_addr = in.addr, x->in_stride = in.stride;
  x->out_buf = out.buf, x->out_addr = out.addr, x->out_stride = out.stride;
  x->scale = scale, x->topk = topk;
  commit(dev);
}

void acc_layernorm(acc_dev_t *dev, uint32_t rows, uint32_t cols, acc_operand_t in, acc_operand_t out, acc_operand_t gamma,
                   acc_operand_t beta, uint32_t eps) {
  acc_desc_t *d = next_slot(dev);
  acc_desc_layernorm_t *x = &d->layernorm;
  x->header = ACC_OP_LAYERNORM | take_scale(dev);
  x->rows = rows, x->cols = cols;
  x->in_buf = in.buf, x->in_addr = in.addr, x->in_stride = in.stride;
  x->out_buf = out.buf, x->out_addr = out.addr, x->out_stride = out.stride;
  x->gamma_buf = gamma.buf, x->gamma_addr = gamma.addr;
  x->beta_buf = beta.buf, x->beta_addr = beta.addr;
  x->eps = eps;
  commit(dev);
}

void acc_score(acc_dev_t *dev, uint32_t flags, uint32_t rows, uint32_t cols, uint32_t heads, uint32_t head_dim, acc_operand_t q,
               acc_operand_t k, acc_operand_t out, uint32_t th_index) {
  acc_desc_t *d = next_slot(dev);
  acc_desc_score_t *x = &d->score;
  x->header = ACC_OP_SCORE | flags;
  x->rows = rows, x->cols = cols, x->heads = heads, x->head_dim = head_dim;
  x->q_buf = q.buf, x->q_addr = q.addr, x->q_stride = q.stride;
  x->k_buf = k.buf, x->k_addr = k.addr, x->k_stride = k.stride;
  x->out_buf = out.buf, x->out_addr = out.addr, x->out_stride = out.stride;
  x->th_index = th_index;
  commit(dev);
}

void acc_add(acc_dev_t *dev, uint32_t rows, uint32_t cols, acc_operand_t a, acc_operand_t b, acc_operand_t c) {
  acc_desc_t *d = next_slot(dev);
  acc_desc_add_t *x = &d->add;
  x->header = ACC_OP_ADD | take_scale(dev);
  x->rows = rows, x->cols = cols;
  x->a_buf = a.buf, x->a_addr = a.addr, x->a_stride = a.stride;
  x->b_buf = b.buf, x->b_addr = b.addr, x->b_stride = b.stride;
  x->c_buf = c.buf, x->c_addr = c.addr, x->c_stride = c.stride;
  commit(dev);
}

void acc_fence(acc_dev_t *dev) {
  acc_desc_t *d = next_slot(dev);
  d->w[0] = ACC_OP_FENCE;
  commit(dev);
}

