// Console device: a byte written to offset 0 is appended to the firmware's output; complete
// lines go to the output stream prefixed with "[fw] ". Reads return 0. The text is also kept so
// that tests and the report can look at what the firmware printed.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <iosfwd>
#include <string>

namespace acc {

class Console : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Console> socket;

  Console(sc_core::sc_module_name name, std::ostream* out);
  ~Console() override;
  const std::string& text() const { return text_; }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& t);
  void put(char c);

  std::ostream* out_;
  std::string line_, text_;
};

}  // namespace acc
