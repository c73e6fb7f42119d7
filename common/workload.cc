#include "common/workload.h"

#include <filesystem>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/pgl.h"
#include "common/plist.h"

namespace loadsim {
namespace {

// A copy of `doc` (a dict) with the items of `extra_clients` appended to its `clients` array
// (created if absent) and, when `phases` is given, a `phases` key.
Value Merge(const Value& doc, const Value* extra_clients, const Value* phases) {
  if (!doc.is(Value::Type::kDict)) return doc;  // the loader reports the wrong type
  Value out = Value::Dict(doc.location());
  bool clients_done = extra_clients == nullptr;
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string& key = doc.keys()[i];
    const Value& value = doc.items()[i];
    if (key == "clients" && !clients_done && value.is(Value::Type::kArray)) {
      Value clients = value;
      for (const Value& c : extra_clients->items()) clients.Append(c);
      out.Insert(key, std::move(clients));
      clients_done = true;
    } else {
      out.Insert(key, value);
    }
  }
  if (!clients_done && !doc.Has("clients")) out.Insert("clients", *extra_clients);
  if (phases != nullptr) out.Insert("phases", *phases);
  return out;
}

}  // namespace

absl::StatusOr<LoadedConfig> LoadWorkload(const ConfigFiles& files,
                                          const std::string& workload_path) {
  if (workload_path.empty()) return LoadConfig(files);
  const bool with_config = !files.config_path.empty();
  if (!with_config && !files.clients_path.empty()) {
    return absl::InvalidArgumentError("--clients needs --config (a PGL workload's robots are "
                                      "its clients)");
  }
  PglOptions options;
  options.with_config = with_config;
  absl::StatusOr<PglWorkload> pgl = EvaluatePglFile(workload_path, options);
  if (!pgl.ok()) return pgl.status();
  const Value* pgl_clients = pgl->doc.Find("clients");
  const Value* pgl_phases = pgl->doc.Find("phases");

  absl::StatusOr<LoadedConfig> loaded;
  if (!with_config) {
    if (pgl->robots == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          workload_path, ": the workload passes no robot to use(); a PGL-only run needs one "
                         "(calendar clients come from --config)"));
    }
    loaded = LoadConfigFromValues(files, pgl->doc, nullptr);
  } else {
    absl::StatusOr<Value> config = ReadPlistFile(files.config_path);
    if (!config.ok()) return config.status();
    if (pgl_phases != nullptr) {
      for (const char* key : {"phases", "schedule"}) {
        if (const Value* own = config->Find(key)) {
          return absl::InvalidArgumentError(
              absl::StrCat(pgl_phases->location().ToString(), ": the workload's schedule() "
                           "defines the phases, but ",
                           own->location().ToString(), ": ", key,
                           " defines them too; keep one of the two"));
        }
      }
    }
    std::optional<Value> clients_doc;
    if (!files.clients_path.empty()) {
      absl::StatusOr<Value> c = ReadPlistFile(files.clients_path);
      if (!c.ok()) return c.status();
      clients_doc = Merge(*c, pgl_clients, nullptr);
      pgl_clients = nullptr;
    }
    const Value merged = Merge(*config, pgl_clients, pgl_phases);
    loaded = LoadConfigFromValues(files, merged, clients_doc ? &*clients_doc : nullptr);
  }
  if (!loaded.ok()) return loaded.status();
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(workload_path, ec);
  loaded->spec.set_workload_file(ec ? workload_path : abs.lexically_normal().string());
  loaded->warnings.insert(loaded->warnings.begin(), pgl->warnings.begin(), pgl->warnings.end());
  return loaded;
}

}  // namespace loadsim
