/* Executes an illegal instruction (all ones is not a valid RV32IM encoding). */
#include "hal.h"

int fw_main(void) {
  hal_puts("about to execute an illegal instruction\n");
  __asm__ volatile(".globl fault_here\nfault_here: .word 0xffffffff");
  return 0;
}
