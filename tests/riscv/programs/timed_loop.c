/* A known number of instructions between two console writes (and a known exit code), for the
 * tests of instruction timing, the traces and the exit code. */
#include "acceltran_regs.h"
#include "hal.h"

#define LOOP_ITERATIONS 100000 /* two instructions each: addi, bnez */

int fw_main(void) {
  hal_write32(ACC_MAP_CONSOLE_BASE, 'a');
  __asm__ volatile(
      "li t0, %0\n"
      "1: addi t0, t0, -1\n"
      "bnez t0, 1b\n" ::"i"(LOOP_ITERATIONS)
      : "t0");
  hal_write32(ACC_MAP_CONSOLE_BASE, 'b');
  hal_write32(ACC_MAP_CONSOLE_BASE, '\n');
  return 42;
}
