/* Loads from an address nothing is mapped at (between the buffers and DRAM). */
#include <stdint.h>

int fw_main(void) {
  uint32_t v;
  __asm__ volatile(".globl fault_here\nfault_here: lw %0, 0(%1)" : "=r"(v) : "r"(0x50000000u));
  return (int)v;
}
