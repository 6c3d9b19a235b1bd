#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "ctg/core/embedded.hpp"
#include "ctg/events/catalog.hpp"
#include "ctg/events/event.hpp"
#include "ctg/events/fixtures.hpp"

using namespace ctg::events;

TEST_SUITE_BEGIN("events");

namespace {

// platform.md §3, in its order.
const std::vector<std::string_view> k_platform_current = {
    "text.incoming.sms",
    "text.incoming.mms",
    "text.delivery.confirmed",
    "text.delivery.failed",
    "imessage.incoming",
    "numbers.substitution",
    "otp.reverse.verified",
    "email.incoming",
    "identity.verification_session.started",
    "identity.verification_session.processing",
    "identity.verification_session.verified",
    "identity.verification_session.failed",
    "identity.verification_session.requires_input",
    "identity.verification_session.manually_approved",
    "identity.verification_session.manually_denied",
    "identity.verification_report.generated",
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path fixture_dir() {
  return std::filesystem::path(CTG_SOURCE_DIR) / "fixtures";
}

}  // namespace

TEST_CASE("events::current_types matches platform.md") {
  const auto current = current_types();
  REQUIRE(current.size() == 16);
  for (std::size_t i = 0; i < current.size(); ++i) CHECK(current[i]->name == k_platform_current[i]);
}

TEST_CASE("events::catalog entries are well formed") {
  std::set<std::string_view> names;
  const auto all = catalog();
  CHECK(all.size() == 26);
  int older = 0;
  int legacy = 0;
  for (const auto& type : all) {
    CAPTURE(type.name);
    CHECK(names.insert(type.name).second);
    CHECK_FALSE(type.description.empty());
    CHECK(type.description.find('\n') == std::string_view::npos);
    switch (type.generation) {
      case Generation::current:
        CHECK(type.replaced_by.empty());
        CHECK(type.api_version.starts_with("v2025."));
        break;
      case Generation::older:
        ++older;
        CHECK(type.api_version == "v2");
        if (!type.replaced_by.empty()) {
          const EventType* target = find_type(type.replaced_by);
          REQUIRE(target != nullptr);
          CHECK(target->generation == Generation::current);
        }
        break;
      case Generation::legacy_v1:
        ++legacy;
        CHECK(type.name.starts_with("v1."));
        break;
    }
  }
  CHECK(older == 7);
  CHECK(legacy == 3);
  CHECK(find_type("communications.incoming.sms")->replaced_by == "text.incoming.sms");
  CHECK(find_type("communications.incoming.email")->replaced_by == "email.incoming");
  CHECK(find_type("text.incoming")->replaced_by == "text.incoming.sms");
  CHECK(find_type("no.such.type") == nullptr);
  CHECK(type_names().size() == all.size());
  CHECK(type_names().front() == "text.incoming.sms");
}

TEST_CASE("events::catalog field tables") {
  SUBCASE("older names share their counterpart's fields") {
    CHECK(find_type("communications.incoming.sms")->fields.data() == find_type("text.incoming.sms")->fields.data());
    CHECK(find_type("communications.incoming.email")->fields.data() == find_type("email.incoming")->fields.data());
  }
  SUBCASE("verified requires verification_report, other identity types check nothing") {
    const auto verified = find_type("identity.verification_session.verified")->fields;
    REQUIRE(verified.size() == 1);
    CHECK(verified[0].path == "verification_report");
    CHECK(find_type("identity.verification_session.started")->fields.empty());
  }
  SUBCASE("v1 checks crumbs") {
    const auto fields = find_type("v1.sms")->fields;
    std::set<std::string_view> paths;
    for (const auto& f : fields) paths.insert(f.path);
    CHECK(paths == std::set<std::string_view>{"from", "to", "message", "timestamp", "type"});
  }
}

TEST_CASE("events::match_types") {
  CHECK(match_types("text.*").size() == 4);
  CHECK(match_types("identity.*").size() == 8);
  CHECK(match_types("communications.*", Generation::older).size() == 5);
  CHECK(match_types("v1.*", Generation::legacy_v1).size() == 3);
  REQUIRE(match_types("text.incoming.sms").size() == 1);
  CHECK(match_types("text.incoming").front()->name == "text.incoming");  // exact, older generation
  CHECK(match_types("text.incoming.s").empty());
  CHECK(match_types("nothing.*").empty());
  CHECK(to_string(Generation::legacy_v1) == "legacy-v1");
  CHECK(to_string(Generation::older) == "older");
}

TEST_CASE("events::fixtures consistency with the catalog") {
  // Every catalog type has a file on disk, and every file names a catalog type.
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(fixture_dir())) {
    if (entry.path().extension() == ".json") on_disk.insert(entry.path().filename().string());
  }
  for (const auto& type : catalog()) {
    CAPTURE(type.name);
    CHECK(on_disk.count(std::string(type.name) + ".json") == 1);
  }
  for (const auto& file : on_disk) {
    CAPTURE(file);
    CHECK(find_type(file.substr(0, file.size() - 5)) != nullptr);
  }
  // The embedded copies are the same files, in catalog order.
  const auto list = fixtures();
  REQUIRE(list.size() == catalog().size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    CHECK(list[i].type == &catalog()[i]);
    CHECK(list[i].content == read_file(fixture_dir() / std::string(list[i].file)));
  }
  CHECK(ctg::embedded::fixture_files().size() == on_disk.size());
}

TEST_CASE("events::fixtures are valid events") {
  for (const auto& fixture : fixtures()) {
    CAPTURE(fixture.file);
    auto event = parse_event(std::string(fixture.content));
    REQUIRE_MESSAGE(event.has_value(), event.error().message);
    CHECK(event->known_type() == fixture.type);
    CHECK(std::string(fixture.file) == event->type() + ".json");
    for (const auto& issue : strict_issues(*event)) FAIL_CHECK(issue.path << ": " << issue.message);

    const auto json = nlohmann::ordered_json::parse(fixture.content);
    if (fixture.type->generation == Generation::legacy_v1) {
      CHECK(event->format() == Format::legacy_v1);
      CHECK(json["crumbs"]["type"].get<std::string>() == std::string(fixture.type->name.substr(3)));
      continue;
    }
    // The official SDK's parse rules.
    CHECK(json["id"].is_string());
    CHECK(json["type"].is_string());
    CHECK(json["timestamp"].is_number());
    CHECK(json["type"].get<std::string>() == std::string(fixture.type->name));
    CHECK(json["api_version"].get<std::string>() == std::string(fixture.type->api_version));
    // House style: key order and 2-space indentation.
    std::vector<std::string> keys;
    for (const auto& item : json.items()) keys.push_back(item.key());
    CHECK(keys == std::vector<std::string>{"id", "type", "timestamp", "api_version", "data"});
    CHECK(fixture.content == json.dump(2) + "\n");
    const std::string id = json["id"].get<std::string>();
    CHECK(id.starts_with("evt_"));
    CHECK(id.size() >= 14);
    CHECK(id.size() <= 20);
  }
}

TEST_SUITE_END();
