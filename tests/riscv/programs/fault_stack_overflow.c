/* Deep recursion: the stack grows down into the guard page under it. */
#include <stdint.h>

static volatile uint32_t depth_limit = 0xFFFFFFFFu; /* far more frames than the stack holds */

__attribute__((noinline)) static uint32_t recurse(uint32_t n) {
  volatile uint32_t frame[256];
  frame[n % 256] = n;
  if (n == depth_limit) return n;
  return recurse(n + 1) + frame[(n + 1) % 256];
}

int fw_main(void) { return (int)recurse(0); }
