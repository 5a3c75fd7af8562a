/* Firmware entry: reads the job the platform placed at FW_JOB_PA, runs it, reports status. */
#include <string.h>

#include "acc_driver.h"
#include "fw_job.h"
#include "hal.h"

int fw_main(void);
uint32_t run_bert(acc_dev_t *dev, fw_bert_args_t *a);
uint32_t run_gpt2(acc_dev_t *dev, fw_gpt2_args_t *a);
uint32_t run_vit(acc_dev_t *dev, fw_vit_args_t *a);

static uint32_t run_matmul(acc_dev_t *dev, fw_matmul_args_t *a) {
  if (a->prune) hal_write32(dev->regs + ACC_REG_DYNATRAN_TAU, a->tau);
  acc_gemm_t g = {a->m, a->k, a->n, a->a_pa, a->b_pa, a->c_pa, a->prune ? ACC_MATMUL_PRUNE_OUT : 0u, a->order};
  acc_gemm_plan_t p = {0};
  const uint32_t status = acc_gemm(dev, &g, &p);
  a->plan_order = p.order, a->plan_mt = p.mt, a->plan_nt = p.nt, a->plan_keep = p.keep, a->plan_steps = p.steps;
  a->plan_dram_words_lo = (uint32_t)p.dram_words, a->plan_dram_words_hi = (uint32_t)(p.dram_words >> 32);
  a->plan_min_words_lo = (uint32_t)p.min_words, a->plan_min_words_hi = (uint32_t)(p.min_words >> 32);
  a->plan_est_cycles_lo = (uint32_t)p.est_cycles, a->plan_est_cycles_hi = (uint32_t)(p.est_cycles >> 32);
  return status;
}

/* Submits one valid LOAD, then the requested bad descriptor, and waits for the error. */
static uint32_t run_fault(acc_dev_t *dev, fw_fault_args_t *f) {
  fw_matmul_args_t *r = &f->recovery;
  acc_load(dev, ACC_BUF_ACT, 0, r->k, r->a_pa, 4u * r->k, 1, r->k);
  acc_desc_t bad;
  memset(&bad, 0, sizeof bad);
  switch (f->fault) {
    case FW_FAULT_OPCODE:
      bad.w[0] = 0x7Eu;
      break;
    case FW_FAULT_DRAM: /* one row starting 64 bytes before the end of the 4 GiB space */
      bad.load.header = ACC_OP_LOAD;
      bad.load.dram_addr = 0xFFFFFFC0u;
      bad.load.dram_stride = 64;
      bad.load.rows = 1;
      bad.load.cols = 32;
      bad.load.buf = ACC_BUF_ACT;
      bad.load.buf_stride = 32;
      break;
    case FW_FAULT_OVERFLOW: /* a 16-row tile whose last row ends past the activation buffer */
      bad.load.header = ACC_OP_LOAD;
      bad.load.dram_addr = r->a_pa;
      bad.load.dram_stride = 4u * r->k;
      bad.load.rows = 16;
      bad.load.cols = r->k;
      bad.load.buf = ACC_BUF_ACT;
      bad.load.buf_addr = dev->act_words - 8u * r->k;
      bad.load.buf_stride = r->k;
      break;
    case FW_FAULT_SHAPE:
      bad.matmul.header = ACC_OP_MATMUL;
      bad.matmul.m = 16;
      bad.matmul.k = dev->max_k + 1;
      bad.matmul.n = 16;
      bad.matmul.a_stride = dev->max_k + 1;
      bad.matmul.b_buf = ACC_BUF_WGT;
      bad.matmul.b_stride = 16;
      bad.matmul.c_addr = 16u * (dev->max_k + 1);
      bad.matmul.c_stride = 16;
      break;
    case FW_FAULT_SCALE: /* a well-formed 16 x 16 x 16 MATMUL whose scale field is nonsense in every format */
      bad.matmul.header = ACC_OP_MATMUL | ACC_MATMUL_OUT_SHIFT_MASK;
      bad.matmul.m = bad.matmul.k = bad.matmul.n = 16;
      bad.matmul.a_stride = bad.matmul.b_stride = bad.matmul.c_stride = 16;
      bad.matmul.b_buf = ACC_BUF_WGT;
      bad.matmul.c_addr = 256;
      break;
    default:
      return FW_ERR_BAD_JOB;
  }
  acc_raw(dev, &bad);
  const uint32_t err = acc_sync(dev);
  f->fault_status = err == ACC_ERR_NONE ? FW_OK : FW_ERR_ACCEL;
  f->fault_err_code = dev->last_error.code;
  f->fault_err_desc = dev->last_error.desc;
  f->fault_err_info = dev->last_error.info;
  f->fault_irq_status = dev->last_error.irq_status;
  hal_printf("fault job: error %u at descriptor %u (info 0x%08x)\n", (unsigned)dev->last_error.code,
             (unsigned)dev->last_error.desc, (unsigned)dev->last_error.info);
  acc_recover(dev);
  return run_matmul(dev, r);
}

int fw_main(void) {
  fw_job_t *job = (fw_job_t *)hal_phys_to_virt(FW_JOB_PA);
  if (job->magic != FW_JOB_MAGIC) {
    hal_puts("firmware: no job at FW_JOB_PA\n");
    return FW_ERR_BAD_JOB;
  }
  job->status = FW_RUNNING;
  acc_dev_t dev;
  uint32_t status = (uint32_t)acc_open(&dev, job->scratch_pa, job->scratch_bytes);
  if (status == FW_OK) {
    switch (job->kind) {
      case FW_JOB_MATMUL:
        status = run_matmul(&dev, &job->args.matmul);
        break;
      case FW_JOB_FAULT:
        status = run_fault(&dev, &job->args.fault);
        break;
      case FW_JOB_BERT:
        status = run_bert(&dev, &job->args.bert);
        break;
      case FW_JOB_GPT2:
        status = run_gpt2(&dev, &job->args.gpt2);
        break;
      case FW_JOB_VIT:
        status = run_vit(&dev, &job->args.vit);
        break;
      default:
        status = FW_ERR_BAD_JOB;
    }
  }
  if (status == FW_ERR_ACCEL) {
    job->err_code = dev.last_error.code;
    job->err_desc = dev.last_error.desc;
    job->err_info = dev.last_error.info;
  }
  job->descriptors = dev.submitted;
  if (status != FW_ERR_NO_DEVICE) { /* the accelerator's own account of the job */
    job->perf_cycles_lo = hal_read32(dev.regs + ACC_REG_PERF_CYCLES_LO);
    job->perf_cycles_hi = hal_read32(dev.regs + ACC_REG_PERF_CYCLES_HI);
    job->perf_macs_lo = hal_read32(dev.regs + ACC_REG_PERF_MACS_LO);
    job->perf_macs_hi = hal_read32(dev.regs + ACC_REG_PERF_MACS_HI);
    job->perf_desc_done = hal_read32(dev.regs + ACC_REG_PERF_DESC_DONE);
  }
  job->status = status;
  return (int)status;
}
