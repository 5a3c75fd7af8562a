/* An interrupt handler that neither masks nor clears the line: the trap is taken again at once,
 * forever. */
#include "one_fence.h"
#include "riscv_csr.h"

__attribute__((interrupt("machine"), aligned(4))) static void forgetful_handler(void) {}

int fw_main(void) {
  __asm__ volatile("csrw mtvec, %0" ::"r"(&forgetful_handler));
  if (ring_one_fence()) return 1;
  csr_set(mie, MIE_MEIE);
  csr_set(mstatus, MSTATUS_MIE);
  for (;;) {
  }
}
