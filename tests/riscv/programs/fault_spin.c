/* A spin loop that never talks to the hardware: only the watchdog can end it. */
int fw_main(void) {
  __asm__ volatile(".globl fault_here\nfault_here: j fault_here");
  return 0;
}
