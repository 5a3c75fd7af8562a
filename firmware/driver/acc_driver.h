/* AccelTran driver: the descriptor ring, descriptor builders and the tiled GEMM.
 *
 * Model of use: acc_open() once; build descriptors with the acc_* builders (they go into the
 * ring in program order); acc_sync() rings the doorbell, sleeps until the queue drains or stops
 * on an error, and returns the error code. The hardware tracks data hazards between descriptors
 * (program order semantics), so the driver never fences to be correct, only to separate jobs. */
#ifndef ACC_DRIVER_H
#define ACC_DRIVER_H

#include <stdint.h>

#include "acceltran_regs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct acc_error {
  uint32_t code; /* ACC_ERR_* */
  uint32_t desc; /* ring index of the faulting descriptor */
  uint32_t info; /* offending value */
  uint32_t irq_status;
} acc_error_t;

typedef struct acc_dev {
  uint32_t regs;       /* MMIO base of the control block */
  acc_desc_t *ring;    /* CPU view of the ring */
  uint32_t ring_pa;    /* its DRAM address */
  uint32_t entries;    /* ring size */
  uint32_t tail;       /* next slot the driver fills */
  uint32_t pending;    /* descriptors written since the last acc_sync */
  uint32_t submitted;  /* descriptors submitted in all */
  /* Hardware configuration read from the HW_* registers. */
  uint32_t act_words, wgt_words, max_k, tile_x, tile_y;
  acc_error_t last_error;
  uint32_t stopped;    /* the queue stopped on last_error; cleared by acc_recover */
  uint32_t tag;        /* trace tag written into every descriptor built (acc_tag()) */
  uint32_t softmax_units, layernorm_units;
} acc_dev_t;

/* Checks ID/VERSION, programs the ring (ring_bytes of DRAM at ring_pa), enables interrupts. */
int acc_open(acc_dev_t *dev, uint32_t ring_pa, uint32_t ring_bytes);

/* Rings the doorbell for everything written so far and sleeps until the queue drains (returns
 * ACC_ERR_NONE) or stops on an error (returns its code; details in dev->last_error). */
uint32_t acc_sync(acc_dev_t *dev);

/* Clears an error stop so the next job can run. */
void acc_recover(acc_dev_t *dev);

/* Descriptor builders. Each takes the next ring slot (draining the ring first if it is full). */
void acc_load(acc_dev_t *dev, uint32_t buf, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa, uint32_t dram_stride,
              uint32_t rows, uint32_t cols);
/* LOAD of N:M compressed weights (value and index per word, NM_CFG). */
void acc_load_nm(acc_dev_t *dev, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa, uint32_t dram_stride, uint32_t rows,
                 uint32_t cols);
void acc_store(acc_dev_t *dev, uint32_t buf, uint32_t buf_addr, uint32_t buf_stride, uint32_t dram_pa, uint32_t dram_stride,
               uint32_t rows, uint32_t cols);
/* A buffer operand: buffer, word index of element [0][0], words between rows. */
typedef struct acc_operand {
  uint32_t buf, addr, stride;
} acc_operand_t;

/* C[m x n] = act(prune(A . B + bias)); flags: ACC_MATMUL_* (BIAS uses `bias`, 1 x n). */
void acc_matmul(acc_dev_t *dev, uint32_t flags, uint32_t m, uint32_t k, uint32_t n, acc_operand_t a, acc_operand_t b,
                acc_operand_t c, acc_operand_t bias);
/* Row-wise softmax of rows x cols scores, columns >= valid_cols masked; flags: ACC_SOFTMAX_*. */
void acc_softmax(acc_dev_t *dev, uint32_t flags, uint32_t rows, uint32_t cols, uint32_t valid_cols, acc_operand_t in,
                 acc_operand_t out, uint32_t scale, uint32_t topk);
/* Row-wise layer normalisation; gamma and beta are 1 x cols. */
void acc_layernorm(acc_dev_t *dev, uint32_t rows, uint32_t cols, acc_operand_t in, acc_operand_t out, acc_operand_t gamma,
                   acc_operand_t beta, uint32_t eps);
/* Scores of `heads` heads of one sequence on the pruning units (flags: ACC_SCORE_*): head h's Q
 * and K start h*head_dim columns in; its scores h*rows rows into `out`. */
void acc_score(acc_dev_t *dev, uint32_t flags, uint32_t rows, uint32_t cols, uint32_t heads, uint32_t head_dim, acc_operand_t q,
               acc_operand_t k, acc_operand_t out, uint32_t th_index);
/* C = A + B elementwise. */
void acc_add(acc_dev_t *dev, uint32_t rows, uint32_t cols, acc_operand_t a, acc_operand_t b, acc_operand_t c);
void acc_fence(acc_dev_t *dev);
/* The trace tag of the descriptors built from now on (statistics only). */
static inline void acc_set_tag(acc_dev_t *dev, uint32_t tag) { dev->tag = tag; }
/* Writes a raw descriptor (for tests of the hardware's error checking). */
void acc_raw(acc_dev_t *dev, const acc_desc_t *d);

/* C[m x n] = A[m x k] . B[k x n], row-major in DRAM. Tiles M and N to fit the buffers, with two
 * slots per operand so that loads of the next tile overlap the current matmul (double buffering);
 * ragged edges are ordinary smaller tiles. flags: ACC_MATMUL_PRUNE_OUT. Returns FW_OK or a
 * fw_status (FW_ERR_ACCEL with dev->last_error filled). */
typedef struct acc_gemm {
  uint32_t m, k, n;
  uint32_t a_pa, b_pa, c_pa;
  uint32_t flags;
  uint32_t max_tile; /* cap on the M and N tile (0: 128) */
} acc_gemm_t;
uint32_t acc_gemm(acc_dev_t *dev, const acc_gemm_t *g);

#ifdef __cplusplus
}
#endif

#endif /* ACC_DRIVER_H */
