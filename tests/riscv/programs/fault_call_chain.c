/* Writes a control-block offset where no register is, through the HAL from a function of its own:
 * the fault report names the whole call chain (hal_write32, configure, fw_main, _start). */
#include <stdint.h>

#include "acceltran_regs.h"
#include "hal.h"

__attribute__((noinline)) static void configure(uint32_t offset) {
  hal_write32(ACC_MAP_ACC_REGS_BASE + offset, 1);
  __asm__ volatile("" ::: "memory");  /* not a tail call: configure keeps its frame */
}

int fw_main(void) {
  configure(0xFFCu);
  return 0;
}
