// Helpers for the black-box cluster tests (cluster_radicale_test.cc, cluster_faults_test.cc):
// paths of the built loadsim-master and loadsim-worker, reading logs, waiting for a text or a
// quiet file, and parsing the master's printed report (label tables and the workers table)
// without depending on its exact column layout. Stateless free functions; not thread-safe only
// in the sense that they read files other processes are writing (a read may see a partial line).
#ifndef LOADSIM_TESTS_MASTER_CLUSTER_HARNESS_H_
#define LOADSIM_TESTS_MASTER_CLUSTER_HARNESS_H_

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace loadsim::testing {

inline const std::string& MasterBinary() {
  static const std::string path = std::string(LOADSIM_BINARY_DIR) + "/master/loadsim-master";
  return path;
}
inline const std::string& WorkerBinaryPath() {
  static const std::string path = std::string(LOADSIM_BINARY_DIR) + "/worker/loadsim-worker";
  return path;
}

inline std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline size_t CountLines(const std::string& path) {
  std::string text = ReadText(path);
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// Polls `path` every 20 ms until it contains `needle`; false after `seconds`.
inline bool WaitForText(const std::string& path, const std::string& needle, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (ReadText(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

inline double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Whether strace can trace a child here (ptrace may be forbidden in a container).
inline bool StraceUsable() {
  return std::system("strace -f -qq -o /dev/null /bin/true >/dev/null 2>&1") == 0;
}

// One row of the report's workers table.
struct WorkerRow {
  int index = -1;
  int pid = 0;
  uint64_t users = 0;
  uint64_t requests = 0;
  std::string state;  // the rest of the line: "finished", "LOST: ...", ...
};

struct ParsedReport {
  bool found = false;                          // "** REPORT **" printed
  std::map<std::string, uint64_t> requests;    // label -> count (the Requests table)
  std::map<std::string, uint64_t> operations;  // label -> count (the Operations table)
  std::map<std::string, uint64_t> failed;      // label -> failed, both tables
  std::vector<WorkerRow> workers;
  std::string verdict;  // "PASS", "FAIL" or empty
  uint64_t RequestTotal() const {
    uint64_t n = 0;
    for (const auto& [label, count] : requests) n += count;
    return n;
  }
  uint64_t OperationTotal() const {
    uint64_t n = 0;
    for (const auto& [label, count] : operations) n += count;
    return n;
  }
  uint64_t WorkerRequestTotal() const {
    uint64_t n = 0;
    for (const WorkerRow& w : workers) n += w.requests;
    return n;
  }
};

// Reads the report out of the master's output. Rows of the label tables are "<label>  <count>
// <failed>  <rate> ..." under a header line starting with "label"; scheduling labels (lag,
// blocked{...}) are left out as the workers do when they count.
inline ParsedReport ParseReport(const std::string& log) {
  ParsedReport r;
  size_t at = log.find("** REPORT **");
  if (at == std::string::npos) return r;
  r.found = true;
  std::istringstream in(log.substr(at));
  std::string line;
  std::map<std::string, uint64_t>* table = nullptr;
  const std::regex row_re(R"(^(\S.*?)\s+(\d+)\s+(\d+)\s+[0-9.]+\s.*$)");
  const std::regex worker_re(
      R"(^worker\s+(\d+)\s+.*?pid\s+(\d+)\s+users\s+(\d+)\s+requests\s+(\d+)\s+(.*)$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("* Requests", 0) == 0) {
      table = &r.requests;
    } else if (line.rfind("* Operations", 0) == 0) {
      table = &r.operations;
    } else if (line.rfind("* ", 0) == 0) {
      table = nullptr;
    } else if (line.rfind("*** PASS", 0) == 0) {
      r.verdict = "PASS";
    } else if (line.rfind("*** FAIL", 0) == 0) {
      r.verdict = "FAIL";
    } else if (std::regex_match(line, m, worker_re)) {
      WorkerRow w;
      w.index = std::stoi(m[1]);
      w.pid = std::stoi(m[2]);
      w.users = std::stoull(m[3]);
      w.requests = std::stoull(m[4]);
      w.state = m[5];
      r.workers.push_back(w);
    } else if (table != nullptr && line.rfind("label", 0) != 0 &&
               std::regex_match(line, m, row_re)) {
      std::string label = m[1];
      if (label.rfind("lag", 0) == 0 || label.rfind("blocked", 0) == 0) continue;
      (*table)[label] += std::stoull(m[2]);
      r.failed[label] += std::stoull(m[3]);
    }
  }
  return r;
}

// "loadsim-worker K/W: counted N requests" lines (each worker prints one to stderr at its end):
// index -> N.
inline std::map<int, uint64_t> WorkerCounts(const std::string& text) {
  std::map<int, uint64_t> out;
  const std::regex re(R"(loadsim-worker (\d+)/\d+: counted (\d+) requests)");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
    out[std::stoi((*it)[1])] += std::stoull((*it)[2]);
  }
  return out;
}

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_MASTER_CLUSTER_HARNESS_H_
