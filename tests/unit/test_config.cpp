// runtime/config: the RINGLET_* table.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "runtime/config.h"

using rt::config::cfg;

namespace {
std::vector<std::string> g_warnings;
void collect(const char* line) { g_warnings.emplace_back(line); }

void load(std::vector<const char*> env) {
  env.push_back(nullptr);
  g_warnings.clear();
  rt::config::load(const_cast<char* const*>(env.data()), collect);
}
}  // namespace

TEST_CASE("sizes", "[config]") {
  size_t v = 0;
  REQUIRE(rt::config::parse_size("65536", &v));
  REQUIRE(v == 65536);
  REQUIRE(rt::config::parse_size("64K", &v));
  REQUIRE(v == 65536);
  REQUIRE(rt::config::parse_size("8M", &v));
  REQUIRE(v == 8u << 20);
  REQUIRE(rt::config::parse_size("1GiB", &v));
  REQUIRE(v == 1u << 30);
  for (const char* bad : {"", "abc", "-1", "+8M", " 8M", "8X", "8MM", "99999999999999999999G"})
    REQUIRE(!rt::config::parse_size(bad, &v));
}

TEST_CASE("good values are taken", "[config]") {
  load({"PATH=/bin", "RINGLET_CARRIERS=2", "RINGLET_STACK_SIZE=256K", "RINGLET_IO=try",
        "RINGLET_PATCH=all,-poll", "RINGLET_LOG=/tmp/x.log", "RINGLET_DEBUG=yes"});
  REQUIRE(g_warnings.empty());
  REQUIRE(cfg.carriers == 2);
  REQUIRE(cfg.stack_size == 256u << 10);
  REQUIRE(cfg.io == rt::config::IoMode::Try);
  REQUIRE(cfg.families == (rt::config::kAllFamilies & ~rt::config::kPoll));
  REQUIRE(std::string(cfg.log_path) == "/tmp/x.log");
  REQUIRE(cfg.debug);
  load({"RINGLET_IO=ring"});
  REQUIRE(cfg.io == rt::config::IoMode::Ring);
  load({"RINGLET_IO=auto"});
  REQUIRE(cfg.io == rt::config::IoMode::Auto);
  load({"PATH=/bin"});
  REQUIRE(cfg.io == rt::config::IoMode::Auto);  // the default
  load({"RINGLET_PATCH=none"});
  REQUIRE(cfg.families == 0);
  load({"RINGLET_PATCH=io,net"});
  REQUIRE(cfg.families == (rt::config::kIo | rt::config::kNet));
  load({"RINGLET_PATCH=-time"});
  REQUIRE(cfg.families == (rt::config::kAllFamilies & ~rt::config::kTime));
  REQUIRE(cfg.tls == rt::config::TlsMode::Auto);  // the default
  load({"RINGLET_TLS=copy"});
  REQUIRE(cfg.tls == rt::config::TlsMode::Copy);
  load({"RINGLET_TLS=arch_prctl"});
  REQUIRE(cfg.tls == rt::config::TlsMode::ArchPrctl);
  load({"RINGLET_TLS=shared"});
  REQUIRE(cfg.tls == rt::config::TlsMode::Shared);
  load({"RINGLET_TLS=wrfsbase"});
  REQUIRE(g_warnings.size() == 1);
  REQUIRE(g_warnings[0] == "RINGLET_TLS=wrfsbase is not 'auto', 'arch_prctl', 'copy' or 'shared'; using the default");
  REQUIRE(cfg.tls == rt::config::TlsMode::Auto);
}

TEST_CASE("a bad value is one warning and the default", "[config]") {
  load({"RINGLET_STACK_SIZE=lots", "RINGLET_CARRIERS=0", "RINGLET_IO=fast", "RINGLET_PATCH=io,,net",
        "RINGLET_PATCH=", "RINGLET_DEBUG=maybe", "RINGLET_RING_ENTRIES=3"});
  REQUIRE(g_warnings.size() == 7);
  REQUIRE(g_warnings[0] ==
          "RINGLET_STACK_SIZE=lots is not a stack size from 16K to 1G (like 256K or 8M); using the default");
  for (auto& w : g_warnings) {
    INFO(w);
    REQUIRE(w.find('\n') == std::string::npos);
    REQUIRE(w.find("using the default") != std::string::npos);
  }
  rt::config::Config def;
  REQUIRE(cfg.stack_size == def.stack_size);
  REQUIRE(cfg.carriers == def.carriers);
  REQUIRE(cfg.io == def.io);
  REQUIRE(cfg.families == def.families);
  REQUIRE(cfg.ring_entries == def.ring_entries);
}

TEST_CASE("unknown RINGLET_ names are ignored, table is complete", "[config]") {
  load({"RINGLET_NOPE=1", "RINGLETX=2"});
  REQUIRE(g_warnings.empty());
  for (size_t i = 0; i < rt::config::kOptionCount; ++i) {
    const auto& o = rt::config::kOptions[i];
    REQUIRE(std::string(o.env).rfind("RINGLET_", 0) == 0);
    REQUIRE(o.help != nullptr);
    REQUIRE(o.parse != nullptr);
  }
}
