/* Sleeps in wfi again and again without ever clearing the interrupt: once the line is asserted,
 * every wfi returns at once. */
#include "acc_driver.h"
#include "fw_job.h"
#include "hal.h"
#include "riscv_csr.h"

int fw_main(void) {
  const fw_job_t *job = (const fw_job_t *)hal_phys_to_virt(FW_JOB_PA);
  acc_dev_t dev;
  if (acc_open(&dev, job->scratch_pa, job->scratch_bytes) != FW_OK) return 1;
  acc_fence(&dev);
  hal_write32(dev.regs + ACC_REG_QUEUE_TAIL, dev.tail);
  csr_set(mie, MIE_MEIE);
  for (;;) __asm__ volatile("wfi");
}
