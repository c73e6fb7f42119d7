// Helpers for the black-box cluster tests (cluster_radicale_test.cc, cluster_faults_test.cc):
// paths of the built loadsim-master and loadsim-worker, reading logs, waiting for a text or a
// quiet file, and parsing the master's printed report (label tables and the workers table)
// without depending on its exact column layout. Stateless free functions; not thread-safe only
// in the sense that they read files other processes are writing (a read may see a partial line).
#ifndef LOADSIM_TESTS_MASTER_CLUSTER_HARNESS_H_
#define LOADSIM_TESTS_MASTER_CLUSTER_HARNESS_H_

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
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

// The PIDs of the direct children of `parent` (from /proc).
inline std::vector<int> ChildrenOf(int parent) {
  std::vector<int> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadText(entry.path().string() + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) continue;
    std::istringstream rest(stat.substr(close + 2));
    char state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back(std::stoi(name));
  }
  return out;
}

// Makes this test process the reaper of its orphaned descendants (a killed master's workers,
// a server a script started in the background), so that LeftoversKilled() can end them.
inline void AdoptOrphans() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

// Kills (SIGKILL) and reaps every child of this process but `keep`: descendants a test started
// that are still there at its end. Returns how many were still running (zombies, orphans that
// already exited, are only reaped).
inline int KillLeftovers(const std::set<int>& keep) {
  int running = 0;
  for (int pid : ChildrenOf(getpid())) {
    if (keep.count(pid) > 0) continue;
    std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    bool zombie = close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
    if (!zombie) {
      kill(pid, SIGKILL);
      ++running;
    }
    waitpid(pid, nullptr, 0);
  }
  return running;
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
  uint64_t failed = 0;
  std::string state;  // "finished", "incomplete", "LOST after 4.2 s: ..."
  double lost_after_s = -1;
};

struct ParsedReport {
  bool found = false;                          // "** REPORT **" printed
  std::vector<std::string> sections;           // "Client", "Details", ... in order
  std::map<std::string, uint64_t> requests;    // label -> count, Details' request table
  std::map<std::string, uint64_t> operations;  // label -> count, Details' operation table
  std::map<std::string, uint64_t> all;         // label -> count, every label (Percentiles)
  std::map<std::string, uint64_t> failed;      // label -> failed (Percentiles)
  std::vector<WorkerRow> workers;
  std::string ended;    // the "Ended:" line
  std::string verdict;  // "PASS", "FAIL" or empty
  static uint64_t Sum(const std::map<std::string, uint64_t>& m) {
    uint64_t n = 0;
    for (const auto& [label, count] : m) n += count;
    return n;
  }
  // Everything the workers counted (requests, auth exchanges, operations).
  uint64_t AllTotal() const { return Sum(all); }
  // HTTP exchanges only: what the server saw.
  uint64_t HttpTotal() const { return Sum(all) - Sum(operations); }
  uint64_t OperationTotal() const { return Sum(operations); }
  uint64_t WorkerRequestTotal() const {
    uint64_t n = 0;
    for (const WorkerRow& w : workers) n += w.requests;
    return n;
  }
  const WorkerRow* WorkerWithPid(int pid) const {
    for (const WorkerRow& w : workers) {
      if (w.pid == pid) return &w;
    }
    return nullptr;
  }
};

// Reads the report out of the master's output: the sections ("* Name"), Details' request and
// operation tables (rows "<label> <count> <failed> <over limit counts...> ..."), the
// Percentiles table (every label but the scheduling ones: "<label> <count> <failed> <rate>
// ..."), the Workers table ("<index> <host> <pid> <users> <requests> <failed> ... <state>"),
// the "Ended:" line and the verdict. Phase sections are skipped.
inline ParsedReport ParseReport(const std::string& log) {
  ParsedReport r;
  size_t at = log.find("** REPORT **");
  if (at == std::string::npos) return r;
  r.found = true;
  std::istringstream in(log.substr(at));
  std::string line, section;
  std::map<std::string, uint64_t>* details = nullptr;
  const std::regex details_re(R"(^(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s.*$)");
  const std::regex percentile_re(R"(^(\S.*?)\s+(\d+)\s+(\d+)\s+[0-9.]+\s.*$)");
  const std::regex worker_re(
      R"(^\s*(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s.*?\s\s((finished|incomplete|LOST).*)$)");
  const std::regex lost_re(R"(LOST after ([0-9.]+) s)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line.rfind("* ", 0) == 0) {
      section = line.substr(2, line.find_first_of(" (", 2) - 2);
      r.sections.push_back(section);
      details = nullptr;
    } else if (line.rfind("*** PASS", 0) == 0) {
      r.verdict = "PASS";
    } else if (line.rfind("*** FAIL", 0) == 0) {
      r.verdict = "FAIL";
    } else if (line.rfind("Ended:", 0) == 0) {
      r.ended = line;
    } else if (section == "Details") {
      if (line.rfind("request ", 0) == 0) details = &r.requests;
      if (line.rfind("operation ", 0) == 0) details = &r.operations;
      if (details != nullptr && std::regex_match(line, m, details_re)) {
        (*details)[m[1]] += std::stoull(m[2]);
      }
    } else if (section == "Percentiles" && std::regex_match(line, m, percentile_re)) {
      r.all[m[1]] += std::stoull(m[2]);
      r.failed[m[1]] += std::stoull(m[3]);
    } else if (section == "Workers" && std::regex_match(line, m, worker_re)) {
      WorkerRow w;
      w.index = std::stoi(m[1]);
      w.pid = std::stoi(m[3]);
      w.users = std::stoull(m[4]);
      w.requests = std::stoull(m[5]);
      w.failed = std::stoull(m[6]);
      w.state = m[7];
      std::smatch lost;
      if (std::regex_search(w.state, lost, lost_re)) w.lost_after_s = std::stod(lost[1]);
      r.workers.push_back(w);
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
