// Unicorn, loaded when the riscv CPU first calls it rather than when the simulator starts: loading
// and relocating libunicorn (every architecture Unicorn emulates) took about 11 ms of each
// process's start, which every native run paid for nothing. The simulator links no libunicorn;
// these definitions of the Unicorn functions it calls open the library (dlopen) on first use and
// forward to it. A missing library is an error that names it, raised by uc_open.
#include <dlfcn.h>
#include <unicorn/unicorn.h>

#include <stdexcept>
#include <string>

namespace {

#define ACC_STR2(x) #x
#define ACC_STR(x) ACC_STR2(x)
constexpr const char* kLibrary = "libunicorn.so." ACC_STR(UC_API_MAJOR);  // the soname the headers belong to

struct Unicorn {
  decltype(&uc_open) open;
  decltype(&uc_close) close;
  decltype(&uc_strerror) strerror;
  decltype(&uc_reg_write) reg_write;
  decltype(&uc_reg_read) reg_read;
  decltype(&uc_mem_write) mem_write;
  decltype(&uc_mem_read) mem_read;
  decltype(&uc_emu_start) emu_start;
  decltype(&uc_emu_stop) emu_stop;
  decltype(&uc_hook_add) hook_add;
  decltype(&uc_mem_map) mem_map;
  decltype(&uc_mem_map_ptr) mem_map_ptr;
  decltype(&uc_mmio_map) mmio_map;
  decltype(&uc_mem_unmap) mem_unmap;
};

template <typename F>
void bind(void* lib, F& f, const char* name) {
  f = reinterpret_cast<F>(dlsym(lib, name));
  if (!f) throw std::runtime_error(std::string("riscv cpu: ") + kLibrary + " has no " + name);
}

const Unicorn& unicorn() {
  static const Unicorn api = [] {
    void* lib = dlopen(kLibrary, RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      throw std::runtime_error(std::string("riscv cpu: cannot load Unicorn (") + dlerror() + "); apt-get install libunicorn2");
    Unicorn u{};
    bind(lib, u.open, "uc_open"), bind(lib, u.close, "uc_close"), bind(lib, u.strerror, "uc_strerror");
    bind(lib, u.reg_write, "uc_reg_write"), bind(lib, u.reg_read, "uc_reg_read");
    bind(lib, u.mem_write, "uc_mem_write"), bind(lib, u.mem_read, "uc_mem_read");
    bind(lib, u.emu_start, "uc_emu_start"), bind(lib, u.emu_stop, "uc_emu_stop"), bind(lib, u.hook_add, "uc_hook_add");
    bind(lib, u.mem_map, "uc_mem_map"), bind(lib, u.mem_map_ptr, "uc_mem_map_ptr"), bind(lib, u.mmio_map, "uc_mmio_map");
    bind(lib, u.mem_unmap, "uc_mem_unmap");
    return u;  // the library stays loaded for the process
  }();
  return api;
}

}  // namespace

extern "C" {

uc_err uc_open(uc_arch arch, uc_mode mode, uc_engine** uc) { return unicorn().open(arch, mode, uc); }
uc_err uc_close(uc_engine* uc) { return unicorn().close(uc); }
const char* uc_strerror(uc_err code) { return unicorn().strerror(code); }
uc_err uc_reg_write(uc_engine* uc, int regid, const void* value) { return unicorn().reg_write(uc, regid, value); }
uc_err uc_reg_read(uc_engine* uc, int regid, void* value) { return unicorn().reg_read(uc, regid, value); }
uc_err uc_mem_write(uc_engine* uc, uint64_t address, const void* bytes, size_t size) { return unicorn().mem_write(uc, address, bytes, size); }
uc_err uc_mem_read(uc_engine* uc, uint64_t address, void* bytes, size_t size) { return unicorn().mem_read(uc, address, bytes, size); }
uc_err uc_emu_start(uc_engine* uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count) {
  return unicorn().emu_start(uc, begin, until, timeout, count);
}
uc_err uc_emu_stop(uc_engine* uc) { return unicorn().emu_stop(uc); }
// Only hooks without the extra arguments of UC_HOOK_INSN and UC_HOOK_TCG_OPCODE, which the
// simulator does not use, can be forwarded (a variadic call cannot pass on its arguments).
uc_err uc_hook_add(uc_engine* uc, uc_hook* hh, int type, void* callback, void* user_data, uint64_t begin, uint64_t end, ...) {
  if (type & (UC_HOOK_INSN | UC_HOOK_TCG_OPCODE)) return UC_ERR_ARG;
  return unicorn().hook_add(uc, hh, type, callback, user_data, begin, end);
}
uc_err uc_mem_map(uc_engine* uc, uint64_t address, size_t size, uint32_t perms) { return unicorn().mem_map(uc, address, size, perms); }
uc_err uc_mem_map_ptr(uc_engine* uc, uint64_t address, size_t size, uint32_t perms, void* ptr) {
  return unicorn().mem_map_ptr(uc, address, size, perms, ptr);
}
uc_err uc_mmio_map(uc_engine* uc, uint64_t address, size_t size, uc_cb_mmio_read_t read_cb, void* user_data_read,
                   uc_cb_mmio_write_t write_cb, void* user_data_write) {
  return unicorn().mmio_map(uc, address, size, read_cb, user_data_read, write_cb, user_data_write);
}
uc_err uc_mem_unmap(uc_engine* uc, uint64_t address, size_t size) { return unicorn().mem_unmap(uc, address, size); }

}  // extern "C"
