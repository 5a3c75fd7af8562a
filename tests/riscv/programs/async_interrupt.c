/* Takes the accelerator's interrupt while running, not in wfi: rings the doorbell for one FENCE,
 * enables the interrupt and spins until the trap handler has masked it again. */
#include "one_fence.h"
#include "riscv_csr.h"

int fw_main(void) {
  if (ring_one_fence()) return 1;
  csr_set(mie, MIE_MEIE);
  csr_set(mstatus, MSTATUS_MIE);
  uint32_t spins = 0;
  while (csr_read(mie) & MIE_MEIE) ++spins; /* the handler clears MEIE when it takes the trap */
  hal_printf("interrupt taken after %u spins, mcause 0x%08x\n", (unsigned)spins, (unsigned)csr_read(mcause));
  return 0;
}
