/* For the interrupt tests: opens the accelerator and rings the doorbell for one FENCE without
 * waiting, so that it raises its DONE interrupt a few cycles later. Returns 0 when the doorbell
 * rang. */
#ifndef ONE_FENCE_H
#define ONE_FENCE_H

#include "acc_driver.h"
#include "fw_job.h"
#include "hal.h"

static inline int ring_one_fence(void) {
  const fw_job_t *job = (const fw_job_t *)hal_phys_to_virt(FW_JOB_PA);
  acc_dev_t dev;
  if (acc_open(&dev, job->scratch_pa, job->scratch_bytes) != FW_OK) return 1;
  acc_fence(&dev);
  hal_write32(dev.regs + ACC_REG_QUEUE_TAIL, dev.tail);
  return 0;
}

#endif
