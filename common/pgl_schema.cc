#include "common/pgl_schema.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace loadsim {
namespace {

struct Rejection {
  const char* name;
  const char* reason;
};

const std::map<std::string, std::vector<PglFieldSpec>>& Records() {
  static const auto* records = new std::map<std::string, std::vector<PglFieldSpec>>{
      {"Phase",
       {{"name", "string"},
        {"goal", "Goal"},
        {"load_factor_beg", "float"},
        {"load_factor_end", "float"},
        {"populus_factor_beg", "float"},
        {"populus_factor_end", "float"},
        {"log_stats", "bool"},
        {"synchronize", "bool"}}},
      {"Goal",
       {{"duration", "time"},
        {"xactions", "int"},
        {"errors", "float"},
        {"errors_min_sample", "int"}}},
      {"Robot",
       {{"kind", "string"},
        {"origins", "string[]"},
        {"req_methods", "string[]"},
        {"req_rate", "rate"},
        {"req_inter_arrival", "time_distr"},
        {"open_conn_lmt", "int"},
        {"wait_xact_lmt", "int"},
        {"pconn_use_lmt", "int_distr"},
        {"idle_pconn_tout", "time"},
        {"xact_lifetime", "time"},
        {"recurrence", "float"},
        {"pop_model", "PopModel"},
        {"working_set_length", "time"},
        {"working_set_cap", "int"},
        {"launch_win", "time"},
        {"session", "Session"},
        {"count", "int"},
        {"weight", "int"},
        {"robots", "int"},
        {"authenticate", "bool"},
        {"tls_verify", "bool"},
        {"http_engine", "string"}}},
      {"PopModel", {{"pop_distr", "PopDistr"}, {"hot_set_frac", "float"}, {"hot_set_prob", "float"}}},
      {"Session", {{"busy_period", "busy_period"}, {"idle_period_duration", "time_distr"}}},
  };
  return *records;
}

constexpr char kCacheOnly[] = "is proxy-cache specific; loadsim has no cache under test";
constexpr char kNoBodies[] = "request bodies are not configurable: robots send no body";
constexpr char kUseAuthenticate[] =
    "is not supported: set authenticate = true (the user's account answers Basic/Digest "
    "challenges)";

const std::map<std::string, std::vector<Rejection>>& RejectedFields() {
  static const auto* rejected = new std::map<std::string, std::vector<Rejection>>{
      {"Robot",
       {{"addresses",
         "places agents by address; loadsim places users on workers itself: give count (the "
         "number of users running this robot)"},
        {"hosts",
         "places agents by address; loadsim places users on workers itself: give count (the "
         "number of users running this robot)"},
        {"public_interest", "URL worlds are not modelled: each robot numbers its own objects"},
        {"interests", "URL worlds are not modelled: each robot numbers its own objects"},
        {"embed_recur", "embedded objects are not modelled (loadsim has no content types)"},
        {"unique_urls", kCacheOnly},
        {"req_types", "(Ims304, Reload, Range, ...) needs a cache under test; use req_methods"},
        {"peer_icp", kCacheOnly},
        {"peer_http", kCacheOnly},
        {"icp_port", kCacheOnly},
        {"private_cache_cap", kCacheOnly},
        {"proxies", "is not supported: robots send requests to their origins directly"},
        {"abort_prob", "is not supported; xact_lifetime sets a timeout"},
        {"http_versions", "is not configurable: loadsim speaks HTTP/1.1"},
        {"socket", "options (nagle, linger_tout) are not configurable"},
        {"xact_think", "is server-side think time; loadsim simulates clients only"},
        {"cookie_sender", "cookies are not supported"},
        {"cookies_keep_lmt", "cookies are not supported"},
        {"http_headers", "extra request headers are not supported"},
        {"ssl_wraps", "is not supported: an https:// origin uses TLS (see tls_verify)"},
        {"dns_resolver", "is not supported: host names go to the system resolver"},
        {"credentials", kUseAuthenticate},
        {"kerberos_wrap", kUseAuthenticate},
        {"spnego_auth_ratio", kUseAuthenticate},
        {"pipeline_depth", "HTTP pipelining is not supported"},
        {"ranges", "Range requests are not supported"},
        {"minimize_new_conn", "is not supported"},
        {"foreign_trace", "trace replay is not supported"},
        {"acl", "is not supported"},
        {"post_contents", kNoBodies},
        {"put_contents", kNoBodies},
        {"upload_contents", kNoBodies},
        {"world", "URL worlds are not modelled"},
        {"custom_stats_scope", "is not supported: requests are labelled <METHOD>{robot}"},
        {"pop_distr", "belongs to a PopModel: write pop_model = { pop_distr = ...; }"}}},
      {"Phase",
       {{"recur_factor_beg", "recurrence factors are not supported; set the robot's recurrence"},
        {"recur_factor_end", "recurrence factors are not supported; set the robot's recurrence"},
        {"special_msg_factor_beg", "special-message factors are not supported"},
        {"special_msg_factor_end", "special-message factors are not supported"},
        {"special_req_factor_beg", "special-request factors are not supported"},
        {"special_req_factor_end", "special-request factors are not supported"},
        {"wait_wss_freeze", "waiting for the working set to freeze is not supported"},
        {"stats_samples", "is not supported: every phase keeps full histograms"},
        {"primary", "is not supported: every phase gets its own report section"},
        {"rptmstat", "response-time driven load control is not supported"},
        {"script", "phase scripts are not supported"}}},
      {"Goal", {{"fill_size", kCacheOnly}}},
      {"PopModel",
       {{"bhr_discrimination", "needs object sizes and a cache under test; not supported"}}},
      {"Session", {{"heartbeat_notif_rate", "heartbeat notifications are not supported"}}},
  };
  return *rejected;
}

const std::map<std::string, std::string>& RejectedTypes() {
  static const auto* types = new std::map<std::string, std::string>{
      {"Server", "loadsim simulates clients only: point Robot.origins at a real server"},
      {"Proxy", "loadsim simulates clients only; proxies are not supported"},
      {"Cache", kCacheOnly},
      {"Content", "content types are not modelled: a robot requests its origin URLs"},
      {"ObjLifeCycle", "object life cycles are not modelled (content is the server's)"},
      {"Mime", "content types are not modelled"},
      {"Socket", "socket options are not configurable"},
      {"NetPipe", "network emulation is not supported"},
      {"AddrMap", "address maps are not supported: origins are URLs"},
      {"DnsResolver", "host names go to the system resolver"},
      {"Bench", "benches place agents by address; loadsim places users on workers itself"},
      {"BenchSide", "benches place agents by address; loadsim places users on workers itself"},
      {"StatsSample", "every phase keeps full histograms"},
      {"Rptmstat", "response-time driven load control is not supported"},
      {"SslWrap", "an https:// origin uses TLS (see the robot's tls_verify)"},
      {"Agent", "declare a Robot"},
      {"addr", "origins are URL strings such as \"http://127.0.0.1:8080/\""},
      {"KerberosWrap", "use the robot's authenticate = true"},
  };
  return *types;
}

const std::map<std::string, std::string>& RejectedFunctions() {
  static const auto* functions = new std::map<std::string, std::string>{
      {"robotAddrs", "addresses place agents; give Robot.count instead"},
      {"serverAddrs", "loadsim simulates clients only"},
      {"proxyAddrs", "proxies are not supported"},
      {"clientHostCount", "benches are not supported"},
      {"ipsToNames", "address maps are not supported"},
      {"dynamicName", "address maps are not supported"},
      {"dynamize", "address maps are not supported"},
      {"uniqId", "is not supported"},
      {"credentials", "use the robot's authenticate = true"},
      {"table", "table distributions are not supported; use one of the seven shapes"},
      {"print", "is not supported"},
      {"system", "is not supported"},
      {"select", "is not supported"},
      {"anyOf", "is not supported"},
      {"note_substitutes", "is proxy-cache specific"},
      {"undef", "is not supported: leave a field unset to get its default"},
      {"min", "is not supported"},
      {"max", "is not supported"},
      {"pmUnif", "is the Polygraph 2.2 spelling: write popUnif()"},
      {"pmZipf", "is the Polygraph 2.2 spelling: write popZipf(skew)"},
  };
  return *functions;
}

}  // namespace

const std::vector<PglFieldSpec>* PglRecordFields(absl::string_view record) {
  auto it = Records().find(std::string(record));
  return it == Records().end() ? nullptr : &it->second;
}

std::optional<std::string> RejectedPglField(absl::string_view record, absl::string_view field) {
  auto it = RejectedFields().find(std::string(record));
  if (it == RejectedFields().end()) return std::nullopt;
  for (const Rejection& r : it->second) {
    if (field == r.name) {
      return absl::StrCat("Polygraph's ", record, ".", field, " ", r.reason);
    }
  }
  return std::nullopt;
}

std::optional<std::string> RejectedPglType(absl::string_view type) {
  auto it = RejectedTypes().find(std::string(type));
  if (it == RejectedTypes().end()) return std::nullopt;
  return absl::StrCat("type ", type, " is not supported: ", it->second);
}

std::optional<std::string> RejectedPglFunction(absl::string_view function) {
  auto it = RejectedFunctions().find(std::string(function));
  if (it == RejectedFunctions().end()) return std::nullopt;
  return absl::StrCat(function, "() ", it->second);
}

void RejectUnsupportedKeys(DictReader& reader, absl::string_view record) {
  auto it = RejectedFields().find(std::string(record));
  if (it == RejectedFields().end()) return;
  for (const Rejection& r : it->second) {
    if (reader.Get(r.name) != nullptr) {
      reader.Error(r.name, *RejectedPglField(record, r.name));
    }
  }
}

}  // namespace loadsim
