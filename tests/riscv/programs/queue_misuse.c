/* Register misuse the hardware makes visible: a write to the read-only QUEUE_HEAD, a write that
 * sets a reserved bit of IRQ_ENABLE, and a QUEUE_TAIL outside the ring written while the queue
 * works, which stops it with QUEUE_CONFIG. Then, as careless firmware might, it resets the queue
 * before reading ERR_CODE: it reads NONE, while the hardware's own record of the stop (the
 * summary's "accelerator error") still names it. Run with --job matmul --m 256 --k 256, whose A
 * makes 32 LOADs keep the queue busy for a while. */
#include "acc_driver.h"
#include "fw_job.h"
#include "hal.h"

int fw_main(void) {
  fw_job_t *job = (fw_job_t *)hal_phys_to_virt(FW_JOB_PA);
  const fw_matmul_args_t *a = &job->args.matmul;
  acc_dev_t dev;
  if (acc_open(&dev, job->scratch_pa, job->scratch_bytes) != FW_OK) return 1;
  hal_write32(dev.regs + ACC_REG_QUEUE_HEAD, 5u);
  hal_write32(dev.regs + ACC_REG_IRQ_ENABLE, ACC_IRQ_ENABLE_DONE | ACC_IRQ_ENABLE_ERROR | 0x100u);
  for (unsigned i = 0; i < 32; ++i) acc_load(&dev, ACC_BUF_ACT, 0, a->k, a->a_pa, 4u * a->k, a->m, a->k);
  hal_write32(dev.regs + ACC_REG_QUEUE_TAIL, dev.tail);
  unsigned polls = 0;
  while (!(hal_read32(dev.regs + ACC_REG_STATUS) & ACC_STATUS_BUSY))
    if (++polls == 100000u) return 2; /* never busy: the test cannot show what it is about */
  hal_write32(dev.regs + ACC_REG_QUEUE_TAIL, 0xFFFFFFFFu);
  hal_wait_irq();
  const uint32_t irq = hal_read32(dev.regs + ACC_REG_IRQ_STATUS);
  hal_write32(dev.regs + ACC_REG_IRQ_STATUS, irq);
  hal_write32(dev.regs + ACC_REG_CTRL, ACC_CTRL_ENABLE | ACC_CTRL_QUEUE_RESET);
  job->err_code = hal_read32(dev.regs + ACC_REG_ERR_CODE);
  job->err_desc = hal_read32(dev.regs + ACC_REG_ERR_DESC);
  job->err_info = hal_read32(dev.regs + ACC_REG_ERR_INFO);
  hal_printf("queue_misuse: IRQ_STATUS 0x%x, ERR_CODE %u after the reset\n", (unsigned)irq, (unsigned)job->err_code);
  job->status = (irq & ACC_IRQ_STATUS_ERROR) ? FW_ERR_ACCEL : FW_OK;
  return 0;
}
