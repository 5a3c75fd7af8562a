/* Stores to an address nothing is mapped at. */
int fw_main(void) {
  __asm__ volatile(".globl fault_here\nfault_here: sw %0, 8(%1)" ::"r"(1u), "r"(0x60000000u) : "memory");
  return 0;
}
