/* The job ABI between the platform (which loads tensors into DRAM) and the firmware (which
 * programs the accelerator). The platform writes one fw_job_t at FW_JOB_PA before the CPU starts;
 * the firmware reads its arguments there and writes its status back. */
#ifndef FW_JOB_H
#define FW_JOB_H

#include <stdint.h>

#include "acceltran_regs.h"
#include "fw_bert.h"
#include "fw_gpt2.h"
#include "fw_vit.h"

#define FW_JOB_PA ACC_MAP_DRAM_BASE
#define FW_JOB_MAGIC 0x424F4A41u /* 'AJOB' */

enum fw_job_kind {
  FW_JOB_MATMUL = 1, /* C = A . B, DRAM to DRAM */
  FW_JOB_FAULT = 2,  /* submit one bad descriptor, report the error, recover, then run a matmul */
  FW_JOB_BERT = 3,   /* a BERT encoder (fw_bert.h) */
  FW_JOB_GPT2 = 4,   /* a GPT-2 decoder: prefill and greedy decoding (fw_gpt2.h) */
  FW_JOB_VIT = 5,    /* a Vision Transformer: patch embedding, encoder, classification head (fw_vit.h) */
};

enum fw_status {
  FW_OK = 0,
  FW_ERR_ACCEL = 1,       /* the accelerator stopped on an error: see err_code/err_desc/err_info */
  FW_ERR_NO_DEVICE = 2,   /* ID or VERSION registers do not match the header */
  FW_ERR_NO_MEMORY = 3,   /* the job does not fit the buffers or the scratch area */
  FW_ERR_BAD_JOB = 4,     /* unknown job kind or bad arguments */
  FW_ERR_UNSUPPORTED = 5, /* a dimension above what the hardware accepts (e.g. K > HW_MAX_K) */
  FW_RUNNING = 0xFFFFFFFFu
};

/* Matmul: C[m x n] = A[m x k] . B[k x n], row-major Q4.16 words in 32-bit containers. */
typedef struct fw_matmul_args {
  uint32_t m, k, n;
  uint32_t a_pa, b_pa, c_pa;
  uint32_t prune; /* 1: DynaTran at the output with tau */
  uint32_t tau;
  uint32_t order;    /* loop order, ACC_GEMM_ORDER_* (0: the planner chooses) */
  /* out: the plan the driver followed (acc_gemm_plan_t) */
  uint32_t plan_order, plan_mt, plan_nt, plan_keep, plan_steps;
  uint32_t plan_dram_words_lo, plan_dram_words_hi, plan_min_words_lo, plan_min_words_hi;
  uint32_t plan_est_cycles_lo, plan_est_cycles_hi;
} fw_matmul_args_t;

enum fw_fault_kind {
  FW_FAULT_OPCODE = 1,     /* unknown opcode */
  FW_FAULT_DRAM = 2,       /* LOAD from an address outside DRAM */
  FW_FAULT_OVERFLOW = 3,   /* LOAD of a tile past the end of the activation buffer */
  FW_FAULT_SHAPE = 4,      /* MATMUL with K above HW_MAX_K */
  FW_FAULT_SCALE = 5,      /* MATMUL with a narrowing shift no number format has (OUT_SHIFT 63) */
};

typedef struct fw_fault_args {
  uint32_t fault;            /* enum fw_fault_kind */
  fw_matmul_args_t recovery; /* the valid job that must succeed afterwards */
  uint32_t fault_status;     /* out: status of the faulting submission */
  uint32_t fault_err_code, fault_err_desc, fault_err_info, fault_irq_status; /* out */
} fw_fault_args_t;

typedef struct fw_job {
  uint32_t magic;
  uint32_t kind;
  uint32_t scratch_pa, scratch_bytes; /* DRAM the firmware may use (descriptor ring, temporaries) */
  uint32_t status;                    /* out: enum fw_status */
  uint32_t err_code, err_desc, err_info; /* out: accelerator error registers when status == FW_ERR_ACCEL */
  uint32_t descriptors;               /* out: descriptors submitted */
  uint32_t perf_cycles_lo, perf_cycles_hi; /* out: PERF_CYCLES after the job */
  uint32_t perf_macs_lo, perf_macs_hi;     /* out: PERF_MACS */
  uint32_t perf_desc_done;                 /* out: PERF_DESC_DONE */
  uint32_t reserved[2];
  union {
    fw_matmul_args_t matmul;
    fw_fault_args_t fault;
    fw_bert_args_t bert;
    fw_gpt2_args_t gpt2;
    fw_vit_args_t vit;
    uint32_t raw[240];
  } args;
} fw_job_t;

#ifdef __cplusplus
static_assert(sizeof(fw_job_t) == 1024, "fw_job_t is 1 KiB");
#else
_Static_assert(sizeof(fw_job_t) == 1024, "fw_job_t is 1 KiB");
#endif

#endif /* FW_JOB_H */
