/* Jumps into DRAM, which holds data only. */
#include <stdint.h>

#include "acceltran_regs.h"

int fw_main(void) {
  int (*f)(void) = (int (*)(void))(uintptr_t)(ACC_MAP_DRAM_BASE + 0x100000u);
  return f();
}
