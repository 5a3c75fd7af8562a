/* Hardware abstraction layer: everything the firmware knows about the machine it runs on.
 * Two implementations exist: the native CPU model (models/cpu/native, every call a TLM
 * transaction or an event wait) and bare-metal RISC-V (firmware/hal/riscv). */
#ifndef ACC_HAL_H
#define ACC_HAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 32-bit MMIO access at a physical address. */
uint32_t hal_read32(uint32_t pa);
void hal_write32(uint32_t pa, uint32_t value);

/* Sleeps until the accelerator's interrupt line is asserted (returns at once if it is). */
void hal_wait_irq(void);

/* CPU pointer to DRAM at physical address pa (the driver builds descriptors through it). */
void *hal_phys_to_virt(uint32_t pa);

/* Console output (the CONSOLE device). */
void hal_putc(char c);
void hal_puts(const char *s);
void hal_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#ifdef __cplusplus
}
#endif

#endif /* ACC_HAL_H */
