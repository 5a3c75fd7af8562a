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
  uint32_t pes, lanes, macs;      /* PEs, MAC lanes per PE, multipliers per lane */
  uint32_t dram_bits_per_kcycle;  /* DRAM bandwidth: bits per 1024 accelerator cycles */
  uint32_t dram_latency;          /* DRAM first-access latency, cycles */
  uint32_t dma_channels, dma_outstanding, dma_burst; /* DMA: channels, bursts in flight per channel, longest burst (words) */
  uint32_t buf_bits_per_kcycle, buf_ports; /* a buffer port: bits per 1024 cycles; ports per buffer */
  uint32_t scale; /* per-tensor formats: word-0 scale fields of the next compute descriptor (acc_set_scale) */
} acc_dev_t;

/* Per-tensor formats (int8, int16): the scale fields (word 0 bits 31:16, docs/registers.md) of the
 * next MATMUL, SOFTMAX, LAYERNORM or ADD; used once. The qM.N formats take none. */
static inline void acc_set_scale(acc_dev_t *dev, uint32_t fields) { dev->scale = fields; }
/* The fields from fraction bits: a MATMUL's operands, output and bias; a SOFTMAX's scores and
 * probabilities; a LAYERNORM's gamma and output; an ADD's operands and sum. A difference that is
 * negative wraps in its field, which the hardware rejects (BAD_CONFIG) or which is out of range. */
uint32_t acc_matmul_scale(uint32_t fa, uint32_t fb, uint32_t fc, uint32_t fbias);
uint32_t acc_softmax_scale(uint32_t fs, uint32_t fp);
uint32_t acc_layernorm_scale(uint32_t fg, uint32_t fy);
uint32_t acc_add_scale(uint32_t fa, uint32_t fb, uint32_t fc);

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

/* ---- Tiled GEMM (acc_gemm.c) ----------------------------------------------------------------
 * C[m x n] = A[m x k] . B[k x n], row-major in DRAM. The planner cuts C into mt x nt tiles (multiples
 * of the hardware tile; ragged edges are smaller tiles) and walks them in one of AccelTran's loop
 * orders (k innermost): b_i_j_k keeps a row panel of A while the column tiles of B pass, b_j_i_k
 * keeps a column panel of B while the row tiles of A pass. The operand that passes is re-read
 * from DRAM once per panel, unless it fits the buffer whole: then it stays resident after its
 * first load ("keep"). Among the plans that fit the buffers the planner takes the least DRAM
 * traffic, then the shortest estimated time (a walk of the steps through the DRAM, the PEs and
 * the buffer ports, as the hardware overlaps them), with a quarter of the plan's buffer-port
 * time added. Every operand has at least two slots (double buffering),
 * more where the buffers allow, and the descriptors are emitted software-pipelined: the next
 * step's LOADs before this step's STORE. */
enum acc_gemm_order {
  ACC_GEMM_ORDER_AUTO = 0, /* the planner chooses */
  ACC_GEMM_ORDER_IJ = 1,   /* b_i_j_k: rows of C outer */
  ACC_GEMM_ORDER_JI = 2,   /* b_j_i_k: columns of C outer */
};

typedef struct acc_gemm_plan {
  uint32_t order;          /* ACC_GEMM_ORDER_IJ or _JI */
  uint32_t mt, nt;         /* C tile: rows of A, columns of B */
  uint32_t keep;           /* the passing operand (B for IJ, A for JI) stays resident */
  uint32_t steps;          /* matmuls: ceil(m/mt) * ceil(n/nt) */
  uint32_t a_slots, b_slots, c_slots; /* tiles of each operand the buffers hold at once */
  uint64_t dram_words;     /* words the plan moves between DRAM and the buffers */
  uint64_t min_words;      /* m*k + k*n + m*n: each operand once */
  uint64_t est_cycles;     /* the planner's estimate */
  uint64_t buffer_words;   /* words through the buffers' ports: DMA transfers and the PEs' accesses */
  uint64_t port_cycles;    /* the busier buffer's port time for them */
} acc_gemm_plan_t;

/* What to plan: C[m x k] = A . B with B stored as b_rows x n words (N:M compressed weights have
 * fewer rows than k; 0: k). An operand flagged on chip is already in its buffer (A) or stays
 * there (C): it costs no DRAM traffic and no buffer space of the plan's. */
enum acc_gemm_on_chip { ACC_GEMM_A_ON_CHIP = 1u << 0, ACC_GEMM_C_ON_CHIP = 1u << 1 };
typedef struct acc_gemm_shape {
  uint32_t m, k, n;
  uint32_t order;      /* ACC_GEMM_ORDER_* */
  uint32_t on_chip;    /* ACC_GEMM_A_ON_CHIP | ACC_GEMM_C_ON_CHIP */
  uint32_t b_rows;     /* rows of B as loaded, bias included (0: k) */
  uint32_t act_words;  /* activation-buffer words the plan may use (0: HW_ACT_WORDS) */
  uint32_t wgt_words;  /* weight-buffer words the plan may use (0: HW_WGT_WORDS) */
} acc_gemm_shape_t;

/* The plan for a GEMM on this device; FW_OK, or FW_ERR_NO_MEMORY when not even the smallest
 * tiles fit, FW_ERR_UNSUPPORTED for k > HW_MAX_K, FW_ERR_BAD_JOB for a zero dimension or an
 * unknown order. */
uint32_t acc_gemm_plan(const acc_dev_t *dev, const acc_gemm_shape_t *shape, acc_gemm_plan_t *plan);

typedef struct acc_gemm {
  uint32_t m, k, n;
  uint32_t a_pa, b_pa, c_pa;
  uint32_t flags;  /* ACC_MATMUL_PRUNE_OUT */
  uint32_t order;  /* ACC_GEMM_ORDER_* */
} acc_gemm_t;
/* Plans (into *plan) and runs the GEMM; returns FW_OK or a fw_status (FW_ERR_ACCEL with
 * dev->last_error filled). */
uint32_t acc_gemm(acc_dev_t *dev, const acc_gemm_t *g, acc_gemm_plan_t *plan);

#ifdef __cplusplus
}
#endif

#endif /* ACC_DRIVER_H */
