#include "console.hpp"

#include <cstring>
#include <ostream>

#include "tlm_util.hpp"

namespace acc {

Console::Console(sc_core::sc_module_name name, std::ostream* out) : sc_module(name), socket("socket"), out_(out) {
  socket.register_b_transport(this, &Console::b_transport);
  socket.register_transport_dbg(this, &Console::transport_dbg);
}

Console::~Console() {
  if (!line_.empty() && out_) *out_ << "[fw] " << line_ << std::endl;
}

void Console::put(char c) {
  text_ += c;
  if (c == '\n') {
    if (out_) *out_ << "[fw] " << line_ << std::endl;
    line_.clear();
  } else {
    line_ += c;
  }
}

void Console::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time&) {
  if (!check_word_access(t)) return;
  if (t.get_address() != 0) {
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (t.is_write()) {
    uint32_t v;
    std::memcpy(&v, t.get_data_ptr(), 4);
    put(static_cast<char>(v & 0xFF));
  } else {
    std::memset(t.get_data_ptr(), 0, 4);
  }
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Console::transport_dbg(tlm::tlm_generic_payload& t) {
  if (!t.is_read()) return 0;  // debug writes would print: refused
  std::memset(t.get_data_ptr(), 0, t.get_data_length());
  return t.get_data_length();
}

}  // namespace acc
