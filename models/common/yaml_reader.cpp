#include "yaml_reader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <set>
#include <sstream>
#include <vector>

#include "hw_config.hpp"  // ConfigError

namespace acc {

namespace {

// Checks the event stream of a document before yaml-cpp builds nodes from it.
class StrictChecker : public YAML::EventHandler {
 public:
  explicit StrictChecker(const std::string& origin) : origin_(origin) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) fail(mark, "more than one YAML document (a second '---')");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { scalar(mark, "~"); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(mark, "aliases (*name) are not accepted: write the value out");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string& value) override { scalar(mark, value); }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, false);
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    open(mark, true);
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct Frame {
    bool map;
    std::string path;  // dotted keys down to this collection
    std::set<std::string> keys;
    bool want_key = true;
    std::string key;  // the key whose value comes next
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& problem) const {
    std::ostringstream s;
    s << origin_ << ":" << mark.line + 1 << ": " << problem;
    throw ConfigError(s.str());
  }

  bool at_key() const { return !frames_.empty() && frames_.back().map && frames_.back().want_key; }

  std::string child_path() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    const std::string part = f.map ? f.key : "[]";
    return f.path.empty() ? part : f.path + "." + part;
  }

  void scalar(const YAML::Mark& mark, const std::string& value) {
    if (frames_.empty()) return;
    Frame& f = frames_.back();
    if (!f.map) return;
    if (f.want_key) {
      if (!f.keys.insert(value).second)
        fail(mark, "duplicate key '" + (f.path.empty() ? value : f.path + "." + value) + "'");
      f.key = value;
    }
    f.want_key = !f.want_key;
  }

  void open(const YAML::Mark& mark, bool map) {
    if (at_key()) fail(mark, "a key must be a scalar");
    if (frames_.size() >= static_cast<size_t>(kMaxYamlDepth)) fail(mark, "nested deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    const std::string path = child_path();
    if (!frames_.empty() && frames_.back().map) frames_.back().want_key = true;
    frames_.push_back(Frame{map, path, {}, true, ""});
  }

  std::string origin_;
  int documents_ = 0;
  std::vector<Frame> frames_;
};

}  // namespace

YAML::Node load_strict_yaml(const std::string& text, const std::string& origin) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StrictChecker checker(origin);
    while (parser.HandleNextDocument(checker)) {
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": malformed YAML: " + e.what());
  }
}

}  // namespace acc
