/* Reads a control-block address where no register is: the bus target answers with an error. */
#include <stdint.h>

#include "acceltran_regs.h"

int fw_main(void) {
  uint32_t v;
  __asm__ volatile(".globl fault_here\nfault_here: lw %0, 0(%1)" : "=r"(v) : "r"(ACC_MAP_ACC_REGS_BASE + 0xFFCu));
  return (int)v;
}
