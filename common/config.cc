#include "common/config.h"

#include <filesystem>
#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/accounts.h"
#include "common/diagnostics.h"
#include "common/dict_reader.h"
#include "common/distribution_config.h"
#include "common/file_util.h"
#include "common/phases.h"
#include "common/plist.h"
#include "common/registry.h"
#include "common/robot_config.h"
#include "common/selector.h"
#include "common/thresholds.h"
#include "common/units.h"

namespace loadsim {
namespace {

using v1::ValueKind;

constexpr char kDefaultServer[] = "http://127.0.0.1:8008";
constexpr char kDefaultPrincipalPath[] = "/principals/users/%s/";
constexpr char kBuiltIn[] = "built-in default";

std::string AbsolutePath(absl::string_view path, absl::string_view relative_to_file) {
  std::string resolved = ResolvePath(path, relative_to_file);
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(resolved, ec);
  return ec ? resolved : abs.lexically_normal().string();
}

// Host part of an http(s) URL ("" if it has none).
std::string UrlHost(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "https://")) absl::ConsumePrefix(&rest, "http://");
  rest = rest.substr(0, rest.find('/'));
  if (size_t at = rest.rfind('@'); at != absl::string_view::npos) rest = rest.substr(at + 1);
  if (absl::StartsWith(rest, "[")) {
    size_t close = rest.find(']');
    return std::string(rest.substr(1, close == absl::string_view::npos ? rest.size() : close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

// Empty if `url` is an http(s) URL with a host and a valid port, else the reason.
std::string CheckHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (!absl::ConsumePrefix(&rest, "http://") && !absl::ConsumePrefix(&rest, "https://")) {
    return absl::StrCat("'", url, "' is not an http:// or https:// URL");
  }
  absl::string_view authority = rest.substr(0, rest.find('/'));
  if (UrlHost(url).empty()) return absl::StrCat("'", url, "' has no host");
  if (!absl::StartsWith(authority, "[")) {
    size_t colon = authority.rfind(':');
    if (colon != absl::string_view::npos) {
      int port = 0;
      absl::string_view digits = authority.substr(colon + 1);
      if (digits.empty() || !absl::SimpleAtoi(digits, &port) || port < 1 || port > 65535) {
        return absl::StrCat("'", url, "' has an invalid port");
      }
    }
  }
  return "";
}

// Built-in default distributions, written as CalendarServer dicts and read through the same
// path as user values, so defaults and user values are validated and dumped alike.
const Value& BuiltinDistributionValue(absl::string_view name) {
  static const std::map<std::string, Value>* values = [] {
    const std::map<std::string, std::string> plists = {
        {"NearFuture",
         "<dict><key>type</key><string>NearFutureDistribution</string></dict>"},
        {"EventDuration",
         "<dict><key>type</key><string>UniformDiscreteDistribution</string><key>params</key>"
         "<dict><key>values</key><array><integer>900</integer><integer>1800</integer>"
         "<integer>2700</integer><integer>3600</integer><integer>7200</integer></array>"
         "</dict></dict>"},
        {"NoRecurrence",
         "<dict><key>type</key><string>RecurrenceDistribution</string><key>params</key>"
         "<dict><key>allowRecurrence</key><false/></dict></dict>"},
        {"SendInvitation",
         "<dict><key>type</key><string>NormalDistribution</string><key>params</key>"
         "<dict><key>mu</key><integer>600</integer><key>sigma</key><integer>60</integer>"
         "</dict></dict>"},
        {"Invitee",
         "<dict><key>type</key><string>UniformDiscreteDistribution</string><key>params</key>"
         "<dict><key>values</key><array><integer>-10</integer><integer>-9</integer>"
         "<integer>-8</integer><integer>-7</integer><integer>-6</integer><integer>-5</integer>"
         "<integer>-4</integer><integer>-3</integer><integer>-2</integer><integer>-1</integer>"
         "<integer>0</integer><integer>1</integer><integer>2</integer><integer>3</integer>"
         "<integer>4</integer><integer>5</integer><integer>6</integer><integer>7</integer>"
         "<integer>8</integer><integer>9</integer><integer>10</integer></array></dict></dict>"},
        {"InviteeCount",
         "<dict><key>type</key><string>LogNormalDistribution</string><key>params</key>"
         "<dict><key>mu</key><real>1.2</real><key>sigma</key><real>1.2</real></dict></dict>"},
        {"AcceptDelay",
         "<dict><key>type</key><string>NormalDistribution</string><key>params</key>"
         "<dict><key>mu</key><integer>1200</integer><key>sigma</key><integer>60</integer>"
         "</dict></dict>"},
    };
    auto* out = new std::map<std::string, Value>();
    for (const auto& [key, text] : plists) {
      absl::StatusOr<Value> v = ParsePlist(text, kBuiltIn);
      (*out)[key] = v.ok() ? *std::move(v) : Value();
    }
    return out;
  }();
  return values->at(std::string(name));
}

class ConfigLoader {
 public:
  explicit ConfigLoader(const ConfigFiles& files) : files_(files) {}

  absl::StatusOr<LoadedConfig> Load() {
    absl::StatusOr<Value> config = ReadPlistFile(files_.config_path);
    if (!config.ok()) return config.status();
    std::optional<Value> clients_doc;
    if (!files_.clients_path.empty()) {
      absl::StatusOr<Value> c = ReadPlistFile(files_.clients_path);
      if (!c.ok()) return c.status();
      clients_doc = *std::move(c);
    }
    return LoadFrom(*config, clients_doc ? &*clients_doc : nullptr);
  }

  // The same from documents already read (the PGL front end builds them); `clients_doc` may be
  // null. An empty files_.config_path leaves RunSpec.config_file empty.
  absl::StatusOr<LoadedConfig> LoadFrom(const Value& config_doc, const Value* clients_doc) {
    const Value* config = &config_doc;
    v1::RunSpec& spec = out_.spec;
    spec.set_config_file(files_.config_path.empty() ? ""
                                                    : AbsolutePath(files_.config_path, ""));
    spec.set_clients_file(files_.clients_path.empty() ? ""
                                                      : AbsolutePath(files_.clients_path, ""));
    spec.set_seed(files_.seed);

    DictReader top(&*config, "", &diags_);
    if (!config->is(Value::Type::kDict)) return diags_.ToStatus();
    ReadServer(top);
    ReadWebAdmin(top);
    ReadClientDataSerialization(top);
    const Value* arrival_interval_override = nullptr;
    const Value* clients = nullptr;
    if (clients_doc) {
      DictReader ctop(&*clients_doc, "", &diags_);
      clients = ctop.Require("clients");
      arrival_interval_override = ctop.Get("arrivalInterval");
      ctop.WarnUnknownKeys();
      if (const Value* cfg_clients = top.Get("clients")) {
        diags_.Warning(cfg_clients->location(), "clients",
                       absl::StrCat("replaced by the clients array of ", files_.clients_path));
      }
    } else {
      clients = top.Get("clients");
    }
    ReadArrival(top, arrival_interval_override);
    ReadClients(clients);
    ReadAccounts(top);
    ReadObservers(top);
    ReadWorkers(top);
    ReadPhases(top, &diags_, spec.mutable_phases());
    for (absl::string_view internal : {"workerID", "workerCount"}) {
      if (top.Get(internal) != nullptr) {
        top.Warning(internal, "set by the master for each worker; the value here is ignored");
      }
    }
    top.WarnUnknownKeys();
    if (!diags_.has_errors()) CheckCrossKeyRules();

    out_.warnings = diags_.Warnings();
    if (diags_.has_errors()) return diags_.ToStatus();
    return std::move(out_);
  }

 private:
  v1::Origin OriginOf(const Location& where) {
    v1::Origin o;
    o.set_file(where.file);
    o.set_line(where.line);
    return o;
  }

  void ReadServer(DictReader& top) {
    v1::ServerSpec* server = out_.spec.mutable_server();
    std::string url = top.String("server", kDefaultServer);
    std::string problem = CheckHttpUrl(url);
    if (!problem.empty()) top.Error("server", problem);
    while (absl::EndsWith(url, "/")) url.pop_back();
    server->set_url(url);

    std::string tmpl = top.String("principalPathTemplate", kDefaultPrincipalPath);
    size_t conversions = 0;
    bool bad = false;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      if (tmpl[i] != '%') continue;
      if (i + 1 < tmpl.size() && tmpl[i + 1] == 's') {
        ++conversions;
        ++i;
      } else if (i + 1 < tmpl.size() && tmpl[i + 1] == '%') {
        ++i;
      } else {
        bad = true;
      }
    }
    if (bad || conversions != 1) {
      top.Error("principalPathTemplate",
                absl::StrCat("'", tmpl, "' must contain exactly one %s (and %% for a literal %)"));
    } else if (!absl::StartsWith(tmpl, "/")) {
      top.Error("principalPathTemplate", absl::StrCat("'", tmpl, "' must start with /"));
    }
    server->set_principal_path_template(tmpl);

    DictReader stats(top.Child("serverStats", Value::Type::kDict), top.KeyPath("serverStats"),
                     &diags_);
    v1::ServerStatsSpec* s = out_.spec.mutable_server_stats();
    s->set_enabled(stats.Bool({"enabled", "Enabled"}, false));
    s->set_port(static_cast<int32_t>(stats.Int("Port", 8100, 1, 65535)));
    std::string host = stats.String("server", "");
    s->set_host(host.empty() ? UrlHost(url) : UrlHost(host));
    stats.WarnUnknownKeys();
  }

  void ReadWebAdmin(DictReader& top) {
    DictReader web(top.Child("webadmin", Value::Type::kDict), top.KeyPath("webadmin"), &diags_);
    v1::WebAdminSpec* w = out_.spec.mutable_webadmin();
    w->set_enabled(web.Bool({"enabled", "Enabled"}, false));
    w->set_http_port(static_cast<int32_t>(web.Int("HTTPPort", 8080, 1, 65535)));
    web.WarnUnknownKeys();
  }

  void ReadClientDataSerialization(DictReader& top) {
    DictReader cds(top.Child("clientDataSerialization", Value::Type::kDict),
                   top.KeyPath("clientDataSerialization"), &diags_);
    v1::ClientDataSerializationSpec* c = out_.spec.mutable_client_data_serialization();
    // r11832 made persistence implicit when UseOldData is given; Enabled is r11831's switch.
    bool use_old = cds.Bool({"UseOldData"}, false);
    bool enabled = cds.Bool({"Enabled", "enabled"}, cds.Get("UseOldData") != nullptr);
    c->set_enabled(enabled);
    c->set_use_old_data(use_old);
    const Value* path = cds.Get("Path");
    if (path != nullptr && path->is(Value::Type::kString) && !path->string_value().empty()) {
      c->set_path(AbsolutePath(path->string_value(), path->location().file));
    } else if (path != nullptr) {
      cds.Error("Path", "expected a non-empty string");
    } else if (enabled) {
      cds.Error("Path", "required when client data serialization is enabled");
    }
    cds.WarnUnknownKeys();
  }

  void ReadArrival(DictReader& top, const Value* interval_override) {
    DictReader arrival(top.Child("arrival", Value::Type::kDict), top.KeyPath("arrival"),
                       &diags_);
    v1::ArrivalSpec* a = out_.spec.mutable_arrival();
    std::string factory = arrival.String("factory", "SmoothRampUp");
    absl::StatusOr<std::string> resolved = ResolveName(NameKind::kArrival, factory);
    if (!resolved.ok()) {
      arrival.Error("factory", resolved.status().message());
    } else {
      a->set_factory(*resolved);
    }
    a->mutable_origin()->CopyFrom(OriginOf(arrival.present() ? arrival.location()
                                                             : Location{kBuiltIn, 0}));
    DictReader params(arrival.Child("params", Value::Type::kDict), arrival.KeyPath("params"),
                      &diags_);
    a->set_groups(static_cast<int32_t>(params.Int("groups", 10, 1, 100000000)));
    a->set_group_size(static_cast<int32_t>(params.Int("groupSize", 1, 1, 100000000)));
    a->set_interval_seconds(params.Seconds("interval", 3));
    // The original's default lacks clientsPerUser and crashes; 1 is what it meant.
    a->set_clients_per_user(static_cast<int32_t>(params.Int("clientsPerUser", 1, 1, 1000)));
    params.WarnUnknownKeys();
    arrival.WarnUnknownKeys();
    if (interval_override != nullptr) {
      double seconds = -1;
      if (interval_override->is_number() && interval_override->number_value() >= 0) {
        seconds = interval_override->number_value();
      } else if (interval_override->is(Value::Type::kString)) {
        absl::StatusOr<double> t = ParseTime(interval_override->string_value());
        if (t.ok() && *t >= 0) seconds = *t;
      }
      if (seconds < 0) {
        diags_.Error(interval_override->location(), "arrivalInterval",
                     "expected a non-negative number of seconds or a time such as \"3s\"");
      } else {
        diags_.Warning(interval_override->location(), "arrivalInterval",
                       absl::StrFormat("overrides arrival.params.interval of %s (%gs -> %gs)",
                                       files_.config_path, a->interval_seconds(), seconds));
        a->set_interval_seconds(seconds);
      }
    }
  }

  // Reads a distribution-valued parameter, or the built-in default when absent.
  void ReadDistribution(DictReader& params, absl::string_view key, ValueKind kind,
                        absl::string_view builtin, v1::Distribution* out) {
    const Value* v = params.Get(key);
    std::optional<v1::Distribution> d =
        v != nullptr
            ? DistributionFromValue(*v, kind, params.KeyPath(key), &diags_)
            : DistributionFromValue(BuiltinDistributionValue(builtin), kind,
                                    params.KeyPath(key), &diags_);
    if (d) *out = *std::move(d);
  }

  void ReadProfile(const Value& value, const std::string& path, v1::ProfileSpec* p) {
    DictReader prof(&value, path, &diags_);
    if (!prof.present()) return;
    p->mutable_origin()->CopyFrom(OriginOf(value.location()));
    const Value* cls = prof.Require("class");
    if (cls == nullptr) return;
    if (!cls->is(Value::Type::kString)) {
      prof.Error("class", absl::StrCat("expected string, found ", cls->type_name()));
      return;
    }
    absl::StatusOr<std::string> name = ResolveName(NameKind::kProfile, cls->string_value());
    if (!name.ok()) {
      prof.Error("class", name.status().message());
      return;
    }
    p->set_class_name(*name);
    DictReader params(prof.Child("params", Value::Type::kDict), prof.KeyPath("params"), &diags_);
    p->set_enabled(params.Bool({"enabled", "Enabled"}, true));
    if (*name == "Eventer") {
      v1::EventerParams* e = p->mutable_eventer();
      e->set_interval_seconds(params.Seconds("interval", 25));
      ReadDistribution(params, "eventStartDistribution", v1::VALUE_KIND_DATETIME, "NearFuture",
                       e->mutable_event_start());
      ReadDistribution(params, "eventDurationDistribution", v1::VALUE_KIND_TIME, "EventDuration",
                       e->mutable_event_duration());
      ReadDistribution(params, "recurrenceDistribution", v1::VALUE_KIND_RRULE, "NoRecurrence",
                       e->mutable_recurrence());
      if (e->interval_seconds() <= 0) params.Error("interval", "must be > 0");
    } else if (*name == "Tasker") {
      v1::TaskerParams* t = p->mutable_tasker();
      t->set_interval_seconds(params.Seconds("interval", 25));
      ReadDistribution(params, "taskDueDistribution", v1::VALUE_KIND_DATETIME, "NearFuture",
                       t->mutable_task_due());
      if (t->interval_seconds() <= 0) params.Error("interval", "must be > 0");
    } else if (*name == "Inviter") {
      v1::InviterParams* i = p->mutable_inviter();
      ReadDistribution(params, "sendInvitationDistribution", v1::VALUE_KIND_TIME,
                       "SendInvitation", i->mutable_send_invitation());
      ReadDistribution(params, "inviteeDistribution", v1::VALUE_KIND_NUMBER, "Invitee",
                       i->mutable_invitee());
    } else if (*name == "RealisticInviter") {
      v1::RealisticInviterParams* r = p->mutable_realistic_inviter();
      ReadDistribution(params, "sendInvitationDistribution", v1::VALUE_KIND_TIME,
                       "SendInvitation", r->mutable_send_invitation());
      ReadDistribution(params, "inviteeDistribution", v1::VALUE_KIND_NUMBER, "Invitee",
                       r->mutable_invitee());
      r->set_invitee_clumping(params.Bool({"inviteeClumping"}, true));
      ReadDistribution(params, "inviteeCountDistribution", v1::VALUE_KIND_NUMBER,
                       "InviteeCount", r->mutable_invitee_count());
      ReadDistribution(params, "eventStartDistribution", v1::VALUE_KIND_DATETIME, "NearFuture",
                       r->mutable_event_start());
      ReadDistribution(params, "eventDurationDistribution", v1::VALUE_KIND_TIME, "EventDuration",
                       r->mutable_event_duration());
      ReadDistribution(params, "recurrenceDistribution", v1::VALUE_KIND_RRULE, "NoRecurrence",
                       r->mutable_recurrence());
    } else if (*name == "Accepter") {
      ReadDistribution(params, "acceptDelayDistribution", v1::VALUE_KIND_TIME, "AcceptDelay",
                       p->mutable_accepter()->mutable_accept_delay());
    }
    params.WarnUnknownKeys();
    prof.WarnUnknownKeys();
  }

  void ReadCalendarParams(DictReader& params, const std::string& software,
                          v1::CalendarClientParams* c) {
    static const std::map<std::string, std::string> kTitles = {
        {"OS_X_10_6", "OS X 10.6"}, {"OS_X_10_7", "OS X 10.7"}, {"iOS_5", "iOS 5"}};
    c->set_title(params.String("title", kTitles.at(software)));
    c->set_calendar_home_poll_interval_seconds(
        params.Seconds("calendarHomePollInterval", 15 * 60));
    if (c->calendar_home_poll_interval_seconds() <= 0) {
      params.Error("calendarHomePollInterval", "must be > 0");
    }
    c->set_support_push(params.Bool({"supportPush"}, true));
    c->set_support_amp_push(params.Bool({"supportAmpPush"}, true));
    c->set_amp_push_host(params.String("ampPushHost", UrlHost(out_.spec.server().url())));
    c->set_amp_push_port(static_cast<int32_t>(params.Int("ampPushPort", 62311, 1, 65535)));
    c->set_idle_pconn_tout_seconds(params.Seconds("idle_pconn_tout", 15));
    c->set_pconn_use_lmt(params.Int("pconn_use_lmt", 0, 0, 1000000000));
  }

  void ReadRobotParams(DictReader& params, v1::RobotParams* r) {
    if (const Value* origins = params.Require("origins")) {
      std::optional<v1::Selector> s = SelectorFromValue(*origins, params.KeyPath("origins"),
                                                        &diags_);
      if (s) {
        for (const v1::Selector::Item& item : s->items()) {
          std::string problem = CheckHttpUrl(item.value());
          if (!problem.empty()) diags_.Error(origins->location(), params.KeyPath("origins"),
                                             problem);
        }
        *r->mutable_origins() = *std::move(s);
      }
    }
    if (const Value* methods = params.Get("req_methods")) {
      std::optional<v1::Selector> s = SelectorFromValue(*methods, params.KeyPath("req_methods"),
                                                        &diags_);
      if (s) {
        for (const v1::Selector::Item& item : s->items()) {
          static const char* kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
                                           "PROPFIND", "REPORT"};
          bool ok = false;
          for (const char* m : kMethods) ok = ok || item.value() == m;
          if (!ok) {
            diags_.Error(methods->location(), params.KeyPath("req_methods"),
                         absl::StrCat("unsupported method '", item.value(), "'"));
          }
        }
        *r->mutable_req_methods() = *std::move(s);
      }
    } else {
      v1::Selector::Item* get = r->mutable_req_methods()->add_items();
      get->set_value("GET");
      get->set_probability(1.0);
    }
    const Value* rate = params.Get("req_rate");
    const Value* gaps = params.Get("req_inter_arrival");
    if (rate != nullptr && gaps != nullptr) {
      params.Error("req_inter_arrival", "give req_rate or req_inter_arrival, not both");
    }
    if (rate != nullptr) {
      absl::StatusOr<double> per_second =
          rate->is_number() ? absl::StatusOr<double>(rate->number_value())
          : rate->is(Value::Type::kString)
              ? ParseRate(rate->string_value())
              : absl::InvalidArgumentError(absl::StrCat("expected a rate such as \"10/sec\", found ",
                                                        rate->type_name()));
      if (!per_second.ok()) {
        params.Error("req_rate", per_second.status().message());
      } else if (*per_second <= 0) {
        params.Error("req_rate", "must be > 0");
      } else {
        r->set_req_rate(*per_second);
      }
    }
    if (gaps != nullptr) {
      std::optional<v1::Distribution> d = DistributionFromValue(
          *gaps, v1::VALUE_KIND_TIME, params.KeyPath("req_inter_arrival"), &diags_);
      if (d) *r->mutable_req_inter_arrival() = *std::move(d);
    }
    r->set_open_conn_lmt(static_cast<int32_t>(params.Int("open_conn_lmt", 0, 0, 1000000)));
    r->set_wait_xact_lmt(static_cast<int32_t>(params.Int("wait_xact_lmt", 0, 0, 100000000)));
    if (const Value* reuse = params.Get("pconn_use_lmt")) {
      std::optional<v1::Distribution> d = DistributionFromValue(
          *reuse, v1::VALUE_KIND_NUMBER, params.KeyPath("pconn_use_lmt"), &diags_);
      if (d) *r->mutable_pconn_use_lmt() = *std::move(d);
    }
    r->set_idle_pconn_tout_seconds(params.Seconds("idle_pconn_tout", 15));
    r->set_xact_lifetime_seconds(params.Seconds("xact_lifetime", 0));
    r->set_robots(static_cast<int32_t>(params.Int("robots", 1, 1, 100000)));
  r->set_authenticate(params.Bool({"authenticate"}, false));
  r->set_tls_verify(params.Bool({"tls_verify"}, false));
  r->set_http_engine(params.String("http_engine", "auto"));
  if (r->http_engine() != "auto" && r->http_engine() != "curl") {
    params.Error("http_engine", absl::StrCat("must be \"auto\" or \"curl\", got \"",
                                             r->http_engine(), "\""));
  }
  ReadRobotWorkloadParams(params, r);
  }

  void ReadClients(const Value* clients) {
    if (clients == nullptr) {
      diags_.Error(Location{files_.clients_path.empty() ? files_.config_path
                                                        : files_.clients_path,
                            0},
                   "clients", "no clients: give --clients FILE or a clients array");
      return;
    }
    if (!clients->is(Value::Type::kArray)) {
      diags_.Error(clients->location(), "clients",
                   absl::StrCat("expected array, found ", clients->type_name()));
      return;
    }
    if (clients->size() == 0) {
      diags_.Error(clients->location(), "clients", "must name at least one client type");
    }
    for (size_t i = 0; i < clients->size(); ++i) {
      const Value& item = clients->items()[i];
      std::string path = absl::StrCat("clients[", i, "]");
      DictReader client(&item, path, &diags_);
      if (!client.present()) continue;
      v1::ClientSpec* c = out_.spec.add_clients();
      c->mutable_origin()->CopyFrom(OriginOf(item.location()));
      c->set_weight(static_cast<int32_t>(client.Int("weight", 1, 1, 1000000)));
      const Value* software = client.Require("software");
      std::string name;
      if (software != nullptr) {
        if (!software->is(Value::Type::kString)) {
          client.Error("software", absl::StrCat("expected string, found ", software->type_name()));
        } else {
          absl::StatusOr<std::string> r =
              ResolveName(NameKind::kClientSoftware, software->string_value());
          if (!r.ok()) {
            client.Error("software", r.status().message());
          } else {
            name = *r;
          }
        }
      }
      c->set_software(name);
      DictReader params(client.Child("params", Value::Type::kDict), client.KeyPath("params"),
                        &diags_);
      const Value* profiles = client.Child("profiles", Value::Type::kArray);
      if (name == "Robot") {
        ReadRobotParams(params, c->mutable_robot());
        if (profiles != nullptr && profiles->size() > 0) {
          client.Error("profiles", "a Robot has no profiles; its params describe its requests");
        }
      } else if (!name.empty()) {
        ReadCalendarParams(params, name, c->mutable_calendar());
        if (profiles != nullptr) {
          for (size_t k = 0; k < profiles->size(); ++k) {
            ReadProfile(profiles->items()[k], absl::StrCat(client.KeyPath("profiles"), "[", k, "]"),
                        c->add_profiles());
          }
        }
      }
      if (!name.empty()) params.WarnUnknownKeys();
      client.WarnUnknownKeys();
    }
  }

  void ReadAccounts(DictReader& top) {
    const Value* accounts_value = top.Child("accounts", Value::Type::kDict);
    bool needs_accounts = false;
    for (const v1::ClientSpec& c : out_.spec.clients()) needs_accounts |= c.has_calendar();
    if (accounts_value == nullptr) {
      if (top.Get("accounts") != nullptr) return;  // wrong type, already reported
      if (needs_accounts) {
        diags_.Error(Location{files_.config_path, 0}, "accounts",
                     "required: calendar clients need accounts (loader recordsFromCSVFile, "
                     "generateRecords or recordsFromCount)");
        return;
      }
      // Robots only: one generated record per simulated user, as generateRecords would make.
      const v1::ArrivalSpec& a = out_.spec.arrival();
      Value params = Value::Dict(Location{kBuiltIn, 0});
      params.Insert("count", Value::Integer(static_cast<int64_t>(a.groups()) * a.group_size(),
                                            Location{kBuiltIn, 0}));
      ApplyAccounts(LoadAccounts("generateRecords", &params, Location{kBuiltIn, 0},
                                 "accounts.params", &diags_));
      return;
    }
    DictReader accounts(accounts_value, "accounts", &diags_);
    const Value* loader = accounts.Require("loader");
    const Value* params = accounts.Child("params", Value::Type::kDict);
    accounts.WarnUnknownKeys();
    if (loader == nullptr) return;
    if (!loader->is(Value::Type::kString)) {
      accounts.Error("loader", absl::StrCat("expected string, found ", loader->type_name()));
      return;
    }
    absl::StatusOr<std::string> name = ResolveName(NameKind::kAccountLoader,
                                                   loader->string_value());
    if (!name.ok()) {
      accounts.Error("loader", name.status().message());
      return;
    }
    ApplyAccounts(LoadAccounts(*name, params, accounts_value->location(), "accounts.params",
                               &diags_));
  }

  void ApplyAccounts(std::optional<LoadedAccounts> loaded) {
    if (!loaded) return;
    *out_.spec.mutable_accounts() = std::move(loaded->spec);
    out_.accounts = std::move(loaded->accounts);
  }

  // thresholdsPath / benchmarksPath of an observer, resolved against the naming file.
  std::optional<std::string> ObserverPath(DictReader& params, absl::string_view key) {
    const Value* v = params.Get(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is(Value::Type::kString) || v->string_value().empty()) {
      params.Error(key, "expected a non-empty path string");
      return std::nullopt;
    }
    return AbsolutePath(v->string_value(), v->location().file);
  }

  void ReadObservers(DictReader& top) {
    const Value* observers = top.Child("observers", Value::Type::kArray);
    if (observers == nullptr) {
      if (top.Get("observers") != nullptr) return;
      // Without observers the original prints no report at all; a run always reports here.
      v1::ObserverSpec* report = out_.spec.add_observers();
      report->set_type("ReportStatistics");
      report->mutable_origin()->set_file(kBuiltIn);
      v1::ReportStatisticsParams* rp = report->mutable_report_statistics();
      rp->set_fail_cutoff_percent(1.0);
      *rp->mutable_thresholds()->mutable_requests() = BuiltinRequestThresholds();
      *rp->mutable_thresholds()->mutable_operations() = BuiltinOperationThresholds();
      v1::ObserverSpec* ops = out_.spec.add_observers();
      ops->set_type("OperationLogger");
      ops->mutable_origin()->set_file(kBuiltIn);
      ops->mutable_operation_logger()->set_lag_cutoff_seconds(1.0);
      ops->mutable_operation_logger()->set_fail_cutoff_percent(1.0);
      *ops->mutable_operation_logger()->mutable_thresholds() = BuiltinOperationThresholds();
      return;
    }
    std::map<std::string, int> seen;
    for (size_t i = 0; i < observers->size(); ++i) {
      const Value& item = observers->items()[i];
      DictReader obs(&item, absl::StrCat("observers[", i, "]"), &diags_);
      if (!obs.present()) continue;
      const Value* type = obs.Require("type");
      DictReader params(obs.Child("params", Value::Type::kDict), obs.KeyPath("params"), &diags_);
      obs.WarnUnknownKeys();
      if (type == nullptr) continue;
      if (!type->is(Value::Type::kString)) {
        obs.Error("type", absl::StrCat("expected string, found ", type->type_name()));
        continue;
      }
      absl::StatusOr<std::string> name = ResolveName(NameKind::kObserver, type->string_value());
      if (!name.ok()) {
        obs.Error("type", name.status().message());
        continue;
      }
      if (seen.count(*name) > 0) {
        obs.Warning("type", absl::StrCat(*name, " already configured at line ", seen[*name],
                                         "; both will report"));
      }
      seen[*name] = item.location().line;
      v1::ObserverSpec* o = out_.spec.add_observers();
      o->set_type(*name);
      o->mutable_origin()->CopyFrom(OriginOf(item.location()));
      if (*name == "ReportStatistics") {
        v1::ReportStatisticsParams* rp = o->mutable_report_statistics();
        rp->set_fail_cutoff_percent(params.Number("failCutoff", 1.0, 0, 100));
        std::optional<std::string> tpath = ObserverPath(params, "thresholdsPath");
        std::optional<std::string> bpath = ObserverPath(params, "benchmarksPath");
        if (tpath) {
          std::optional<v1::Thresholds> t = LoadThresholds(*tpath, &diags_);
          if (t) *rp->mutable_thresholds() = *std::move(t);
        } else {
          *rp->mutable_thresholds()->mutable_requests() = BuiltinRequestThresholds();
          *rp->mutable_thresholds()->mutable_operations() = BuiltinOperationThresholds();
        }
        if (bpath) {
          std::optional<v1::Benchmarks> b = LoadBenchmarks(*bpath, &diags_);
          if (b) *rp->mutable_benchmarks() = *std::move(b);
        }
      } else if (*name == "OperationLogger") {
        v1::OperationLoggerParams* op = o->mutable_operation_logger();
        op->set_lag_cutoff_seconds(params.Seconds("lagCutoff", 1.0));
        op->set_fail_cutoff_percent(params.Number("failCutoff", 1.0, 0, 100));
        std::optional<std::string> tpath = ObserverPath(params, "thresholdsPath");
        if (tpath) {
          std::optional<v1::Thresholds> t = LoadThresholds(*tpath, &diags_);
          if (t) *op->mutable_thresholds() = t->operations();
        } else {
          *op->mutable_thresholds() = BuiltinOperationThresholds();
        }
      }
      params.WarnUnknownKeys();
    }
  }

  void ReadWorkers(DictReader& top) {
    const Value* workers = top.Child("workers", Value::Type::kArray);
    if (workers == nullptr) return;
    for (size_t i = 0; i < workers->size(); ++i) {
      const Value& w = workers->items()[i];
      if (!w.is(Value::Type::kString) || w.string_value().empty()) {
        diags_.Error(w.location(), absl::StrCat("workers[", i, "]"),
                     "expected a non-empty command string");
        continue;
      }
      out_.spec.add_workers(w.string_value());
    }
  }

  void CheckCrossKeyRules() {
    const v1::RunSpec& spec = out_.spec;
    const v1::ArrivalSpec& a = spec.arrival();
    Location arrival_at{a.origin().file(), a.origin().line()};
    int64_t users = static_cast<int64_t>(a.groups()) * a.group_size();
    if (users > static_cast<int64_t>(out_.accounts.size())) {
      diags_.Error(arrival_at, "arrival.params",
                   absl::StrCat("groups x groupSize = ", a.groups(), " x ", a.group_size(), " = ",
                                users, " users, but accounts has only ", out_.accounts.size(),
                                " records (", spec.accounts().loader(), ")"));
    }
    if (a.clients_per_user() > 1) {
      // The original: "Set weight of clients to 1 if this is > 1. Number of clients must
      // match this value if > 1" -- each of a user's clients is then a different type.
      if (spec.clients_size() != a.clients_per_user()) {
        diags_.Error(arrival_at, "arrival.params.clientsPerUser",
                     absl::StrCat("is ", a.clients_per_user(), " but ", spec.clients_size(),
                                  " client types are configured; with clientsPerUser > 1 "
                                  "there must be exactly one client type per client of a user"));
      }
      for (int i = 0; i < spec.clients_size(); ++i) {
        const v1::ClientSpec& c = spec.clients(i);
        if (c.weight() != 1) {
          diags_.Error(Location{c.origin().file(), c.origin().line()},
                       absl::StrCat("clients[", i, "].weight"),
                       absl::StrCat("must be 1 when arrival clientsPerUser > 1, got ", c.weight()));
        }
      }
    }
    for (int i = 0; i < spec.clients_size(); ++i) {
      const v1::ClientSpec& c = spec.clients(i);
      if (!c.has_calendar()) continue;
      bool any_enabled = false;
      for (const v1::ProfileSpec& p : c.profiles()) any_enabled |= p.enabled();
      if (!any_enabled) {
        diags_.Warning(Location{c.origin().file(), c.origin().line()},
                       absl::StrCat("clients[", i, "].profiles"),
                       "no enabled profile: these clients will only start up and poll");
      }
    }
  }

  const ConfigFiles& files_;
  Diagnostics diags_;
  LoadedConfig out_;
};

}  // namespace

absl::StatusOr<LoadedConfig> LoadConfig(const ConfigFiles& files) {
  ConfigLoader loader(files);
  return loader.Load();
}

absl::StatusOr<LoadedConfig> LoadConfigFromValues(const ConfigFiles& files, const Value& config,
                                                  const Value* clients_doc) {
  ConfigLoader loader(files);
  return loader.LoadFrom(config, clients_doc);
}

}  // namespace loadsim
