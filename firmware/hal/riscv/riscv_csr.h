/* Machine-mode CSR access and the bits the firmware uses (RISC-V privileged spec). */
#ifndef ACC_RISCV_CSR_H
#define ACC_RISCV_CSR_H

#include <stdint.h>

#define MSTATUS_MIE (1u << 3)
#define MIE_MEIE (1u << 11)                /* machine external interrupt enable */
#define MCAUSE_MACHINE_EXTERNAL 0x8000000Bu /* interrupt bit | cause 11 */

#define csr_read(csr)                                     \
  ({                                                      \
    uint32_t v_;                                          \
    __asm__ volatile("csrr %0, " #csr : "=r"(v_));        \
    v_;                                                   \
  })
#define csr_set(csr, bits) __asm__ volatile("csrs " #csr ", %0" ::"r"(bits) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" ::"r"(bits) : "memory")

#endif /* ACC_RISCV_CSR_H */
