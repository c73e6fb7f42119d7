// PGL schema: the record types loadsim understands (Phase, Goal, Robot, PopModel, Session),
// each field's PGL type, and the Polygraph fields, types and functions loadsim deliberately
// does not support, each with the reason given to the user.
//
// Both front ends use it: the PGL evaluator (common/pgl.h) type-checks field assignments and
// rejects unsupported names; the plist readers (common/phases.h, common/robot_config.h) turn
// an unsupported key into an error instead of an "unknown key" warning. Immutable tables;
// thread-safe.
#ifndef LOADSIM_COMMON_PGL_SCHEMA_H_
#define LOADSIM_COMMON_PGL_SCHEMA_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/dict_reader.h"

namespace loadsim {

struct PglFieldSpec {
  const char* name;
  // PGL spelling of the type: "int", "float", "bool", "string", "time", "rate", "string[]",
  // "time_distr", "int_distr", "PopDistr", a record type ("Goal"), or "busy_period" (a Goal
  // or a time distribution).
  const char* type;
};

// The fields of record type `record` (Phase, Goal, Robot, PopModel, Session); nullptr if
// `record` is not one of them.
const std::vector<PglFieldSpec>* PglRecordFields(absl::string_view record);

// The reason loadsim rejects field `field` of `record`, when it is a Polygraph field loadsim
// does not support (e.g. Robot.req_types, Phase.recur_factor_beg); nullopt otherwise.
std::optional<std::string> RejectedPglField(absl::string_view record, absl::string_view field);

// The reason a Polygraph type (Server, Content, ...) or function (robotAddrs, ...) is not
// supported; nullopt for names loadsim does not know as Polygraph's.
std::optional<std::string> RejectedPglType(absl::string_view type);
std::optional<std::string> RejectedPglFunction(absl::string_view function);

// Reports an error, at the key, for every key of `reader`'s dict that is a rejected field of
// `record` (the plist spelling of a PGL record).
void RejectUnsupportedKeys(DictReader& reader, absl::string_view record);

}  // namespace loadsim

#endif  // LOADSIM_COMMON_PGL_SCHEMA_H_
