#include "json_reader.hpp"

#include <set>
#include <vector>

namespace acc::bert {

nlohmann::json parse_strict_json(const std::string& text) {
  struct Level {
    std::set<std::string> keys;  // of an object
    std::string key;             // the member being parsed ("[]" in an array)
  };
  std::vector<Level> levels;
  auto path = [&] {
    std::string p;
    for (const auto& l : levels) p += (p.empty() ? "" : ".") + l.key;
    return p;
  };
  using Event = nlohmann::json::parse_event_t;
  const nlohmann::json::parser_callback_t check = [&](int depth, Event event, nlohmann::json& parsed) {
    switch (event) {
      case Event::object_start:
      case Event::array_start:
        if (depth >= kMaxJsonDepth) throw JsonError("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
        levels.push_back({{}, event == Event::array_start ? "[]" : ""});
        break;
      case Event::object_end:
      case Event::array_end:
        levels.pop_back();
        break;
      case Event::key: {
        const std::string key = parsed.get<std::string>();
        Level& l = levels.back();
        l.key = key;
        if (!l.keys.insert(key).second) throw JsonError("duplicate key '" + path() + "'");
        break;
      }
      case Event::value:
        break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text, check);
  } catch (const nlohmann::json::exception& e) {
    throw JsonError(e.what());
  }
}

}  // namespace acc::bert
