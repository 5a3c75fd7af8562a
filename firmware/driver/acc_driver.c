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

void acc_matmul(acc_dev_t *dev, uint32_t flags, uint32_t m, uint32_t k, uint32_t n, acc_operand_t a, acc_operand_t b,
                acc_operand_t c, acc_operand_t bias) {
  acc_desc_t *d = next_slot(dev);
  acc_desc_matmul_t *x = &d->matmul;
  x->header = ACC_OP_MATMUL | flags;
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
  x->header = ACC_OP_SOFTMAX | flags;
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
  x->header = ACC_OP_LAYERNORM;
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
  x->header = ACC_OP_ADD;
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

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
static uint32_t round_up(uint32_t x, uint32_t q) { return (x + q - 1) / q * q; }

uint32_t acc_gemm(acc_dev_t *dev, const acc_gemm_t *g) {
  const uint32_t m = g->m, k = g->k, n = g->n;
  if (!m || !k || !n) return FW_ERR_BAD_JOB;
  if (k > dev->max_k) return FW_ERR_UNSUPPORTED;
  const uint32_t q = dev->tile_x; /* tiles are multiples of the hardware tile */
  const uint32_t cap = g->max_tile ? g->max_tile : 128u;

  /* Weight buffer: two B slots of k x nt. Activation buffer: two A slots of mt x k and two C
   * slots of mt x nt. Largest tiles (multiples of the hardware tile, at most cap) that fit. */
  uint32_t nt = min_u32(round_up(n, q), round_up(cap, q));
  while (nt > q && 2ull * k * nt > dev->wgt_words) nt -= q;
  if (2ull * k * nt > dev->wgt_words) return FW_ERR_NO_MEMORY;
  uint32_t mt = min_u32(round_up(m, q), round_up(cap, q));
  while (mt > q && 2ull * mt * (k + nt) > dev->act_words) mt -= q;
  if (2ull * mt * (k + nt) > dev->act_words) return FW_ERR_NO_MEMORY;

  const uint32_t b_slot = k * nt;         /* words per B slot (weight buffer) */
  const uint32_t a_slot = mt * k;         /* words per A slot (activation buffer) */
  const uint32_t c_base = 2 * a_slot;     /* C slots follow the A slots */
  const uint32_t c_slot = mt * nt;
  const uint32_t m_tiles = (m + mt - 1) / mt;
  uint32_t step = 0;

  for (uint32_t j0 = 0, jt = 0; j0 < n; j0 += nt, ++jt) {
    const uint32_t nc = min_u32(nt, n - j0);
    const uint32_t bs = (jt % 2) * b_slot;
    acc_load(dev, ACC_BUF_WGT, bs, nc, g->b_pa + 4u * j0, 4u * n, k, nc);
    for (uint32_t i0 = 0, it = 0; i0 < m; i0 += mt, ++it, ++step) {
      const uint32_t mr = min_u32(mt, m - i0);
      /* A tiles alternate slots; a single A tile stays resident across all column tiles. */
      const uint32_t as = (m_tiles == 1 ? 0 : (step % 2)) * a_slot;
      if (m_tiles > 1 || jt == 0) acc_load(dev, ACC_BUF_ACT, as, k, g->a_pa + 4u * i0 * k, 4u * k, mr, k);
      const uint32_t cs = c_base + (step % 2) * c_slot;
      const acc_operand_t a = {ACC_BUF_ACT, as, k}, b = {ACC_BUF_WGT, bs, nc}, c = {ACC_BUF_ACT, cs, nc}, none = {0, 0, 0};
      acc_matmul(dev, g->flags, mr, k, nc, a, b, c, none);
      acc_store(dev, ACC_BUF_ACT, cs, nc, g->c_pa + 4u * (i0 * n + j0), 4u * n, mr, nc);
    }
  }
  return acc_sync(dev) == ACC_ERR_NONE ? FW_OK : FW_ERR_ACCEL;
}
