/* __builtin_trap() is an ebreak on RISC-V. */
int fw_main(void) {
  __asm__ volatile(".globl fault_here\nfault_here: ebreak");
  return 0;
}
