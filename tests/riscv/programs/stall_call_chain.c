/* Waits for an interrupt that nothing will raise, in the HAL's hal_wait_irq called from a function
 * of its own: the stall report names the call chain (hal_wait_irq, wait_for_job, fw_main, _start). */
#include "hal.h"

__attribute__((noinline)) static void wait_for_job(void) {
  hal_wait_irq();
  __asm__ volatile("" ::: "memory");  /* not a tail call */
}

int fw_main(void) {
  wait_for_job();
  return 0;
}
