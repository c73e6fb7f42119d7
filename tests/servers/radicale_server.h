// RadicaleServer: a throwaway Radicale (Debian's radicale, run by Debian's /usr/bin/python3)
// on 127.0.0.1 with htpasswd (plain) accounts user01..userNN / pass01..passNN and owner-only
// rights. Stopped by PID in the destructor. Not thread-safe.
#ifndef LOADSIM_TESTS_SERVERS_RADICALE_SERVER_H_
#define LOADSIM_TESTS_SERVERS_RADICALE_SERVER_H_

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/servers/spawned_process.h"

namespace loadsim::testing {

class RadicaleServer {
 public:
  ~RadicaleServer() { Stop(); }

  bool Start(int users = 10) {
    namespace fs = std::filesystem;
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("loadsim-radicale-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    {
      std::ofstream users_file(dir_ / "users");
      for (int i = 1; i <= users; ++i) {
        char line[64];
        std::snprintf(line, sizeof(line), "user%02d:pass%02d\n", i, i);
        users_file << line;
      }
    }
    port_ = FreePort();
    std::string d = dir_.string();
    std::ofstream(dir_ / "config") << "[server]\nhosts = 127.0.0.1:" << port_
                                   << "\nmax_connections = 200\n"
                                   << "[auth]\ntype = htpasswd\nhtpasswd_filename = " << d
                                   << "/users\nhtpasswd_encryption = plain\ndelay = 0\n"
                                   << "[rights]\ntype = owner_only\n"
                                   << "[storage]\nfilesystem_folder = " << d << "/data\n"
                                   << "[web]\ntype = none\n"
                                   << "[logging]\nlevel = warning\n";
    if (!process_.Start({"/usr/bin/python3", "-m", "radicale", "--config", d + "/config"}, {},
                        d + "/radicale.log")) {
      return false;
    }
    return process_.WaitForPort(port_, 20);
  }

  void Stop() {
    process_.Stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  SpawnedProcess process_;
  std::filesystem::path dir_;
  int port_ = 0;
};

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_SERVERS_RADICALE_SERVER_H_
