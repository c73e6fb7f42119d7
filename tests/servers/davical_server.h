// DavicalServer: a throwaway DAViCal 1.1.12 on 127.0.0.1 (PHP's built-in server, its own
// PostgreSQL cluster on a Unix socket in a temporary directory), with accounts
// user01..userNN / pass01..passNN allowed to schedule, each with an inbox, an outbox and a
// VEVENT calendar. tests/servers/davical.sh does the work (see there); the destructor stops
// php (its whole process group) and PostgreSQL and removes the directory. Query() reads the
// server's stored data with psql, so tests can check what DAViCal really holds. About 3 s to
// start. Not thread-safe.
#ifndef LOADSIM_TESTS_SERVERS_DAVICAL_SERVER_H_
#define LOADSIM_TESTS_SERVERS_DAVICAL_SERVER_H_

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/servers/spawned_process.h"

namespace loadsim::testing {

class DavicalServer {
 public:
  DavicalServer() = default;
  ~DavicalServer() { Stop(); }
  DavicalServer(const DavicalServer&) = delete;
  DavicalServer& operator=(const DavicalServer&) = delete;

  // Starts the server with `users` accounts and `workers` php processes (1 serializes the
  // requests: DAViCal's concurrent scheduling can deadlock in PostgreSQL, see davical.sh);
  // false (and error() set) if it did not come up.
  bool Start(int users = 20, int workers = 4) {
    namespace fs = std::filesystem;
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("loadsim-davical-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    port_ = FreePort();
    SpawnedProcess script;
    std::string log = (dir_ / "start.log").string();
    if (!script.Start({"/bin/bash", Script(), "start", dir_.string(), std::to_string(port_),
                       std::to_string(users), std::to_string(workers)},
                      {}, log)) {
      error_ = "fork failed";
      return false;
    }
    started_ = true;  // stop even a half-started server
    int status = script.WaitExit(60);
    if (status != 0) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      error_ = "davical.sh start exited with " + std::to_string(status) + ": " + text.str();
      return false;
    }
    return PortAnswers(port_);
  }

  void Stop() {
    if (dir_.empty()) return;
    if (started_) {
      SpawnedProcess script;
      if (script.Start({"/bin/bash", Script(), "stop", dir_.string()}, {},
                       (dir_ / "stop.log").string())) {
        script.WaitExit(30);
      }
    }
    started_ = false;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }

  // Rows of a SQL query on the davical database, each row's columns joined by '|'.
  std::vector<std::string> Query(const std::string& sql) const {
    std::vector<std::string> rows;
    std::string sql_path = (dir_ / "query.sql").string();
    std::ofstream(sql_path) << sql << "\n";
    std::string command = "/bin/bash '" + Script() + "' psql '" + dir_.string() +
                          "' -qAt -v ON_ERROR_STOP=1 -f '" + sql_path + "' 2>&1";
    FILE* out = popen(command.c_str(), "r");
    if (out == nullptr) return rows;
    char line[8192];
    while (std::fgets(line, sizeof(line), out) != nullptr) {
      std::string row(line);
      while (!row.empty() && (row.back() == '\n' || row.back() == '\r')) row.pop_back();
      rows.push_back(row);
    }
    pclose(out);
    return rows;
  }

  // The last `bytes` of the server's log (php -S and DAViCal's error_log), for diagnostics.
  std::string LogTail(size_t bytes = 6000) const {
    std::ifstream in(dir_ / "php.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
  }

  int port() const { return port_; }
  const std::string& error() const { return error_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // The principal path template of DAViCal's layout.
  static const char* PrincipalPathTemplate() { return "/caldav.php/%s/"; }

 private:
  static std::string Script() {
    return std::string(LOADSIM_SOURCE_DIR) + "/tests/servers/davical.sh";
  }

  std::filesystem::path dir_;
  int port_ = 0;
  bool started_ = false;
  std::string error_;
};

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_SERVERS_DAVICAL_SERVER_H_
