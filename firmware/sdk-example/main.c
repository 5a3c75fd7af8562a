/* A minimal app on the firmware SDK: identifies the accelerator, runs the matmul job the platform
 * placed at FW_JOB_PA (acceltran-vp --job matmul) with the driver's GEMM, and reports the status. */
#include "acc_driver.h"
#include "fw_job.h"
#include "hal.h"

int fw_main(void) {
  fw_job_t *job = (fw_job_t *)hal_phys_to_virt(FW_JOB_PA);
  if (job->magic != FW_JOB_MAGIC || job->kind != FW_JOB_MATMUL) {
    hal_puts("sdk example: expected a matmul job (--job matmul)\n");
    return FW_ERR_BAD_JOB;
  }
  job->status = FW_RUNNING;
  acc_dev_t dev;
  uint32_t status = (uint32_t)acc_open(&dev, job->scratch_pa, job->scratch_bytes);
  if (status == FW_OK) {
    hal_printf("sdk example: accelerator 0x%08x, %u x %u x %u GEMM\n", (unsigned)hal_read32(dev.regs + ACC_REG_ID),
               (unsigned)job->args.matmul.m, (unsigned)job->args.matmul.k, (unsigned)job->args.matmul.n);
    const fw_matmul_args_t *a = &job->args.matmul;
    acc_gemm_t g = {a->m, a->k, a->n, a->a_pa, a->b_pa, a->c_pa, 0u, a->order};
    acc_gemm_plan_t plan = {0};
    status = acc_gemm(&dev, &g, &plan);
    hal_printf("sdk example: %u descriptors, status %u\n", (unsigned)dev.submitted, (unsigned)status);
  }
  job->descriptors = dev.submitted;
  job->status = status;
  return (int)status;
}
