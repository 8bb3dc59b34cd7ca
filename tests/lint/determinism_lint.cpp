#include "tests/lint/determinism_lint.h"

#include "tests/lint/include_rules.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

namespace tern::lint {

namespace {

struct Rule {
  const char* pattern;
  const char* banned;
  const char* instead;
  std::vector<std::string> folders;
};

const std::vector<std::string> kDeterministic = {"broker/", "faults/", "scenarios/"};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = {
      {R"(std::(j)?thread\b)", "std::thread", "tasks (Runtime::spawn)", kDeterministic},
      {R"(std::async\b)", "std::async", "tasks (Runtime::spawn)", kDeterministic},
      {R"(std::(recursive_|shared_|timed_)?mutex\b)", "std::mutex", "sim/runtime/sync/mutex.h", kDeterministic},
      {R"(std::condition_variable)", "std::condition_variable", "sim/runtime/sync/event.h", kDeterministic},
      {R"(\bthread_local\b)", "thread_local", "per-node state reached from Runtime&", kDeterministic},
      {R"((system_clock|steady_clock|high_resolution_clock))", "std::chrono clocks", "Runtime::now / wall_now", kDeterministic},
      {R"(\b(gettimeofday|clock_gettime|localtime|gmtime)\s*\()", "libc clocks", "Runtime::now / wall_now", kDeterministic},
      {R"([^_a-zA-Z.>]time\s*\(\s*(nullptr|NULL|0)?\s*\))", "time()", "Runtime::wall_now", kDeterministic},
      {R"(this_thread::|\busleep\s*\(|\bnanosleep\s*\(|(^|[^_a-zA-Z.>:])sleep\s*\()", "thread sleeps", "Runtime::sleep_for", kDeterministic},
      {R"([^_a-zA-Z.>](s)?rand\s*\()", "rand()", "Runtime::rng (sim/runtime/rng.h)", kDeterministic},
      {R"(random_device|mt19937|default_random_engine|minstd_rand)", "std random engines", "Runtime::rng", kDeterministic},
      {R"(std::\w+_distribution|std::shuffle|std::sample)", "std distributions", "Rng::below/between (portable)", kDeterministic},
      {R"((^|[\s(=,!])::(socket|connect|bind|accept|listen|recv|send|read|write|close)\s*\(|\bepoll_\w+\s*\()", "socket calls", "Runtime::net", kDeterministic},
      {R"((^|[\s(=,!])::(open|fsync|fdatasync|pread|pwrite|unlink|mkdir|rename)\s*\(|\bfopen\s*\()", "file syscalls", "Runtime::disk", kDeterministic},
      {R"(#include\s*<(fcntl\.h|unistd\.h|sys/\w+\.h|netinet/\w+\.h|arpa/\w+\.h|netdb\.h|thread|mutex|random|condition_variable|future|filesystem|fstream)>)", "OS, thread and random headers", "sim/runtime", kDeterministic},
      {R"(std::(o|i)?fstream|std::filesystem)", "std file streams", "Runtime::disk", kDeterministic},
      {R"(\b(getenv|getpid|gethostname|getaddrinfo)\s*\()", "process environment", "configuration passed in as values", kDeterministic},
      {R"(std::cout|std::cerr|\bprintf\s*\()", "direct output", "Runtime::log / trace", {"broker/"}},
      // Including sim/simulated, sim/real, sim/fiber or sim/trace from broker/: the include
      // rules (include_rules.cpp) report it.
      {R"(#include\s*[<"]boost/)", "Boost in broker code", "sim/runtime", {"broker/"}},
  };
  return r;
}

bool applies(const Rule& r, const std::string& path) {
  for (const auto& f : r.folders)
    if (path.rfind(f, 0) == 0) return true;
  return false;
}

std::string strip_line_comment(const std::string& line) {
  // Good enough for a lint: drop '//' comments that are not inside a string literal.
  bool in_string = false;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) in_string = !in_string;
    if (!in_string && line[i] == '/' && line[i + 1] == '/') return line.substr(0, i);
  }
  return line;
}

}  // namespace

// `catch (...)` must rethrow: swallowing Boost.Context's forced_unwind breaks a node crash.
void check_catch_all(const std::string& path, const std::vector<std::string>& lines,
                     std::vector<Finding>& out) {
  static const std::regex catch_all(R"(catch\s*\(\s*\.\.\.\s*\))");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(lines[i], m, catch_all)) continue;
    if (lines[i].find("// allowed:") != std::string::npos) continue;
    // Scan the handler's block (brace matched, a bounded number of lines) for a throw.
    int depth = 0;
    bool opened = false, rethrows = false;
    for (size_t j = i; j < lines.size() && j < i + 40; ++j) {
      const std::string& l = j == i ? lines[i].substr(m.position() + m.length()) : lines[j];
      if (l.find("throw") != std::string::npos) rethrows = true;
      for (char c : l) {
        if (c == '{') { ++depth; opened = true; }
        if (c == '}') --depth;
      }
      if (opened && depth <= 0) break;
    }
    if (!rethrows)
      out.push_back({path, static_cast<int>(i + 1),
                     "catch (...) without rethrow is banned here, rethrow: it would swallow a "
                     "crash's forced unwind"});
  }
}

std::vector<Finding> check_file(const std::string& path, const std::string& text) {
  std::vector<Finding> out;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  static const std::vector<std::regex> compiled = [] {
    std::vector<std::regex> v;
    for (const auto& r : rules()) v.emplace_back(r.pattern);
    return v;
  }();
  check_includes(path, lines, out);
  const bool deterministic = path.rfind("broker/", 0) == 0 || path.rfind("faults/", 0) == 0 ||
                             path.rfind("scenarios/", 0) == 0;
  if (!deterministic) return out;  // sim/: only its include rules are checked here
  check_catch_all(path, lines, out);
  int n = 0;
  for (const std::string& line : lines) {
    ++n;
    if (line.find("// allowed:") != std::string::npos) continue;
    const std::string code = line.find("#include") != std::string::npos ? line : strip_line_comment(line);
    for (size_t k = 0; k < rules().size(); ++k) {
      const Rule& r = rules()[k];
      if (!applies(r, path)) continue;
      if (std::regex_search(code, compiled[k]))
        out.push_back({path, n, std::string(r.banned) + " is banned here, use " + r.instead});
    }
    if (line.size() > 100 && path.rfind("broker/protocol/schema/", 0) != 0)
      out.push_back({path, n, "line longer than 100 columns"});
  }
  return out;
}

std::vector<Finding> check_tree(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<Finding> out;
  std::vector<std::string> files;
  for (const char* dir : {"broker", "faults", "scenarios", "sim"}) {
    const fs::path base = fs::path(root) / dir;
    if (!fs::exists(base)) continue;
    for (const auto& e : fs::recursive_directory_iterator(base)) {
      if (!e.is_regular_file()) continue;
      const auto ext = e.path().extension().string();
      if (ext != ".h" && ext != ".cpp" && ext != ".hpp") continue;
      files.push_back(fs::relative(e.path(), root).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& rel : files) {
    std::ifstream f(fs::path(root) / rel);
    std::stringstream ss;
    ss << f.rdbuf();
    auto found = check_file(rel, ss.str());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace tern::lint
