/* Sleeps in wfi again and again without ever clearing the interrupt: once the line is asserted,
 * every wfi returns at once. */
#include "one_fence.h"
#include "riscv_csr.h"

int fw_main(void) {
  if (ring_one_fence()) return 1;
  csr_set(mie, MIE_MEIE);
  for (;;) __asm__ volatile("wfi");
}
