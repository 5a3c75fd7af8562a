/* Sleeps in wfi with the interrupt enabled while the accelerator has nothing to do: the run ends
 * as a stall (the simulation runs out of events), never as a hang. */
#include "riscv_csr.h"

int fw_main(void) {
  csr_set(mie, MIE_MEIE);
  __asm__ volatile(".globl fault_here\nfault_here: wfi");
  return 0;
}
