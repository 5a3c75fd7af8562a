/* Dereferences a NULL pointer: CPU_RAM's first page is a guard page. */
#include <stdint.h>

int fw_main(void) {
  volatile uint32_t *p = 0;
  uint32_t v;
  __asm__ volatile(".globl fault_here\nfault_here: lw %0, 0(%1)" : "=r"(v) : "r"(p));
  return (int)v;
}
