/* HAL of the bare-metal RISC-V firmware (the riscv host CPU, models/cpu/riscv): registers are
 * volatile 32-bit accesses, physical addresses are CPU addresses, the console is a register, and
 * hal_wait_irq() sleeps in wfi until the trap handler has taken the accelerator's interrupt,
 * which reaches the core as the machine external interrupt. */
#include <stdint.h>

#include "acceltran_regs.h"
#include "hal.h"
#include "riscv_csr.h"

uint32_t hal_read32(uint32_t pa) { return *(volatile uint32_t *)(uintptr_t)pa; }

void hal_write32(uint32_t pa, uint32_t value) { *(volatile uint32_t *)(uintptr_t)pa = value; }

void *hal_phys_to_virt(uint32_t pa) { return (void *)(uintptr_t)pa; }

void hal_putc(char c) { hal_write32(ACC_MAP_CONSOLE_BASE, (uint8_t)c); }

static volatile uint32_t irq_taken;

/* Trap vector (mtvec, direct mode). The line is level-triggered and stays asserted until the
 * driver clears IRQ_STATUS, so the handler masks it (mie.MEIE) instead of acknowledging it, and
 * hal_wait_irq() unmasks it for the next wait. Exceptions never get here: the CPU model reports
 * them as firmware faults. */
__attribute__((interrupt("machine"), aligned(4))) void hal_trap_entry(void) {
  if (csr_read(mcause) == MCAUSE_MACHINE_EXTERNAL) {
    csr_clear(mie, MIE_MEIE);
    irq_taken = 1;
    return;
  }
  __builtin_trap(); /* an interrupt this platform does not raise */
}

void hal_wait_irq(void) {
  irq_taken = 0;
  csr_set(mie, MIE_MEIE);
  for (;;) {
    csr_clear(mstatus, MSTATUS_MIE); /* no trap between the test and the wfi: no lost wake-up */
    if (irq_taken) return;
    __asm__ volatile("wfi"); /* wakes when the line is asserted and MEIE set, even with MIE clear */
    csr_set(mstatus, MSTATUS_MIE); /* the pending interrupt is taken here */
  }
}
