/* An interrupt handler that neither masks nor clears the line: the trap is taken again at once,
 * forever. */
#include "acc_driver.h"
#include "fw_job.h"
#include "hal.h"
#include "riscv_csr.h"

__attribute__((interrupt("machine"), aligned(4))) static void forgetful_handler(void) {}

int fw_main(void) {
  const fw_job_t *job = (const fw_job_t *)hal_phys_to_virt(FW_JOB_PA);
  acc_dev_t dev;
  if (acc_open(&dev, job->scratch_pa, job->scratch_bytes) != FW_OK) return 1;
  __asm__ volatile("csrw mtvec, %0" ::"r"(&forgetful_handler));
  acc_fence(&dev);
  hal_write32(dev.regs + ACC_REG_QUEUE_TAIL, dev.tail);
  csr_set(mie, MIE_MEIE);
  csr_set(mstatus, MSTATUS_MIE);
  for (;;) {
  }
}
