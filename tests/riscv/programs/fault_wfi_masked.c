/* Sleeps in wfi with the accelerator interrupt masked: nothing could ever wake the core. */
int fw_main(void) {
  __asm__ volatile(".globl fault_here\nfault_here: wfi");
  return 0;
}
