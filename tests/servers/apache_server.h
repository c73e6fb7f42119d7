// ApacheDigestServer: a throwaway Apache httpd (Debian's apache2) on 127.0.0.1 whose /private/
// needs HTTP Digest authentication (mod_auth_digest, realm "loadsim", user "alice", password
// "wonderland"), with a self-contained config (no /etc/apache2). Stopped by PID.
#ifndef LOADSIM_TESTS_SERVERS_APACHE_SERVER_H_
#define LOADSIM_TESTS_SERVERS_APACHE_SERVER_H_

#include <openssl/evp.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/servers/spawned_process.h"

namespace loadsim::testing {

class ApacheDigestServer {
 public:
  ~ApacheDigestServer() { Stop(); }

  static constexpr const char* kRealm = "loadsim";
  static constexpr const char* kUser = "alice";
  static constexpr const char* kPassword = "wonderland";

  bool Start() {
    namespace fs = std::filesystem;
    static int counter = 0;
    dir_ = fs::temp_directory_path() /
           ("loadsim-apache-" + std::to_string(getpid()) + "-" + std::to_string(++counter));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "htdocs" / "private");
    fs::permissions(dir_, fs::perms::all);
    std::ofstream(dir_ / "htdocs" / "private" / "index.html") << "secret\n";
    // htdigest format: user:realm:MD5(user:realm:password)
    std::ofstream(dir_ / "digest") << kUser << ":" << kRealm << ":"
                                   << Md5Hex(std::string(kUser) + ":" + kRealm + ":" + kPassword)
                                   << "\n";
    port_ = FreePort();
    std::string d = dir_.string();
    const std::string m = "/usr/lib/apache2/modules/";
    std::ofstream(dir_ / "httpd.conf")
        << "ServerRoot " << d << "\nServerName 127.0.0.1\nListen 127.0.0.1:" << port_ << "\n"
        << "PidFile " << d << "/httpd.pid\nErrorLog " << d << "/error.log\n"
        << "LoadModule mpm_event_module " << m << "mod_mpm_event.so\n"
        << "LoadModule authn_core_module " << m << "mod_authn_core.so\n"
        << "LoadModule authn_file_module " << m << "mod_authn_file.so\n"
        << "LoadModule authz_core_module " << m << "mod_authz_core.so\n"
        << "LoadModule authz_user_module " << m << "mod_authz_user.so\n"
        << "LoadModule auth_digest_module " << m << "mod_auth_digest.so\n"
        << "DocumentRoot " << d << "/htdocs\nKeepAlive On\nMaxKeepAliveRequests 0\n"
        << "<Directory " << d << "/htdocs>\n  Require all granted\n</Directory>\n"
        << "<Directory " << d << "/htdocs/private>\n  AuthType Digest\n  AuthName \"" << kRealm
        << "\"\n  AuthDigestDomain /private/\n  AuthUserFile " << d
        << "/digest\n  Require valid-user\n</Directory>\n";
    if (!process_.Start({"/usr/sbin/apache2", "-f", d + "/httpd.conf", "-DFOREGROUND"}, {},
                        d + "/stdout.log")) {
      return false;
    }
    return process_.WaitForPort(port_, 20);
  }

  void Stop() {
    process_.Stop();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    dir_.clear();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  static std::string Md5Hex(const std::string& s) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(s.data(), s.size(), out, &len, EVP_md5(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string r;
    for (unsigned int i = 0; i < len; ++i) {
      r.push_back(hex[out[i] >> 4]);
      r.push_back(hex[out[i] & 15]);
    }
    return r;
  }

  SpawnedProcess process_;
  std::filesystem::path dir_;
  int port_ = 0;
};

}  // namespace loadsim::testing

#endif  // LOADSIM_TESTS_SERVERS_APACHE_SERVER_H_
