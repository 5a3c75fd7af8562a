/* Takes the accelerator's interrupt while running, not in wfi: rings the doorbell for one FENCE,
 * enables the interrupt and spins until the trap handler has masked it again. */
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
  csr_set(mstatus, MSTATUS_MIE);
  uint32_t spins = 0;
  while (csr_read(mie) & MIE_MEIE) ++spins; /* the handler clears MEIE when it takes the trap */
  hal_printf("interrupt taken after %u spins, mcause 0x%08x\n", (unsigned)spins, (unsigned)csr_read(mcause));
  return 0;
}
