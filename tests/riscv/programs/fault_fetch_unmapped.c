/* Calls a function at an address nothing is mapped at. */
#include <stdint.h>

int fw_main(void) {
  int (*f)(void) = (int (*)(void))(uintptr_t)0x70000000u;
  return f();
}
