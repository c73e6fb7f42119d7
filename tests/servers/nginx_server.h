// NginxServer: a throwaway nginx on 127.0.0.1 for tests (Debian's nginx-light).
//
// Start() writes a config into a fresh directory, starts `nginx -p DIR -c CONF` in the
// foreground as a child process, waits until it answers, and the destructor stops it by PID. Locations served:
//   /1k.html  1024 bytes       /error  500        /empty  204
// With EnableAccessLog() before Start(), every request is logged to AccessLogPath() as
// "<epoch seconds.millis> <status> <request line>" (one write per request, unbuffered).
// Not thread-safe; one per test fixture.
#ifndef LOADSIM_TESTS_SERVERS_NGINX_SERVER_H_
#define LOADSIM_TESTS_SERVERS_NGINX_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/servers/spawned_process.h"

namespace loadsim::testing {

class NginxServer {
 public:
  NginxServer() = default;
  ~NginxServer() { Stop(); }

  // Returns false (and a reason in error()) if nginx cannot start. With `tls`, a second
  // server answers https on tls_port() with a self-signed certificate for localhost.
  bool Start(bool tls = false) {
    namespace fs = std::filesystem;
    dir_ = fs::temp_directory_path() / ("loadsim-nginx-" + std::to_string(getpid()) + "-" +
                                        std::to_string(++Counter()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "html");
    fs::create_directories(dir_ / "logs");
    fs::create_directories(dir_ / "tmp");
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
    std::ofstream(dir_ / "html" / "1k.html") << std::string(1024, 'x');
    port_ = FreePort();
    std::string d = dir_.string();
    std::string tls_server;
    if (tls) {
      tls_port_ = FreePort();
      std::string gen = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
                        d + "/key.pem -out " + d + "/cert.pem 2>/dev/null";
      if (std::system(gen.c_str()) != 0) {
        error_ = "openssl could not make a certificate";
        return false;
      }
      tls_server = "  server {\n    listen 127.0.0.1:" + std::to_string(tls_port_) +
                   " ssl;\n    ssl_certificate " + d + "/cert.pem;\n    ssl_certificate_key " + d +
                   "/key.pem;\n    root " + d + "/html;\n  }\n";
    }
    std::ofstream(dir_ / "nginx.conf")
        << "worker_processes 1;\ndaemon off;\npid " << d << "/nginx.pid;\n"
        << "error_log " << d << "/logs/error.log warn;\n"
        << "events { worker_connections 1024; }\n"
        << "http {\n"
        << (access_log_ ? "  log_format ts '$msec $status \"$request\"';\n  access_log " + d +
                              "/logs/access.log ts;\n"
                        : std::string("  access_log off;\n"))
        << "  keepalive_requests 1000000;\n"
        << "  client_body_temp_path " << d << "/tmp/body;\n  proxy_temp_path " << d
        << "/tmp/proxy;\n  fastcgi_temp_path " << d << "/tmp/fastcgi;\n  uwsgi_temp_path " << d
        << "/tmp/uwsgi;\n  scgi_temp_path " << d << "/tmp/scgi;\n"
        << "  server {\n    listen 127.0.0.1:" << port_ << ";\n    root " << d << "/html;\n"
        << "    location /error { return 500; }\n    location /empty { return 204; }\n"
        << "  }\n"
        << tls_server << "}\n";
    // A direct child in the foreground, so Stop() can reap it (no zombie waits).
    std::string conf = d + "/nginx.conf";
    std::string log = d + "/logs/error.log";
    pid_ = fork();
    if (pid_ == 0) {
      execl("/usr/sbin/nginx", "nginx", "-p", d.c_str(), "-c", conf.c_str(), "-e", log.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ < 0) {
      error_ = "fork failed";
      return false;
    }
    for (int i = 0; i < 100; ++i) {
      if (PortAnswers(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    error_ = "nginx did not answer on port " + std::to_string(port_);
    return false;
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = 0;
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }

  void EnableAccessLog() { access_log_ = true; }
  std::string AccessLogPath() const { return (dir_ / "logs" / "access.log").string(); }
  // The nginx master's PID (its worker is a child of it).
  int pid() const { return pid_; }
  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  std::string TlsUrl(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(tls_port_) + path;
  }
  std::string CertPath() const { return (dir_ / "cert.pem").string(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  const std::string& error() const { return error_; }

 private:
  static int& Counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path dir_;
  int port_ = 0;
  int tls_port_ = 0;
  int pid_ = 0;
  bool access_log_ = false;
  std::string error_;
};

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_SERVERS_NGINX_SERVER_H_
