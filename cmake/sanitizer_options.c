/* Default options of the sanitizer runtimes, linked into every executable of a sanitizer build
 * (ACC_SANITIZE, ACC_FUZZ). docs/reliability.md explains them.
 *
 * SystemC switches between its coroutines' stacks without telling AddressSanitizer, which then
 * loses the bounds of the main thread's stack; at exit LeakSanitizer's scan of it trips over the
 * guard pages of a coroutine stack ("Tracer caught signal 11"). So thread stacks are not used as
 * roots: that can only add reports, never hide a leak. (The fuzz harnesses declare the main stack
 * again after each simulation and scan it: fuzz/soc_harness.cpp.) UBSan prints where it stopped. */
const char *__lsan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void) { return "use_stacks=0"; }
const char *__ubsan_default_options(void) { return "print_stacktrace=1"; }
