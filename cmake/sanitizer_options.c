/* Default options of the sanitizer runtimes, linked into every executable of a sanitizer build
 * (ACC_SANITIZE). LeakSanitizer's scan of thread stacks trips over the guard pages of SystemC's
 * coroutine stacks at exit ("Tracer caught signal 11"), so stacks are not used as roots: that can
 * only report more leaks, never hide one. UBSan prints where it stopped. */
const char *__lsan_default_options(void);
const char *__ubsan_default_options(void);
const char *__lsan_default_options(void) { return "use_stacks=0"; }
const char *__ubsan_default_options(void) { return "print_stacktrace=1"; }
