/* HAL functions built on the backend's primitives, the same on every CPU. */
#include <stdarg.h>
#include <stdio.h>

#include "hal.h"

void hal_puts(const char *s) {
  while (*s) hal_putc(*s++);
}

void hal_printf(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  hal_puts(buf);
}
