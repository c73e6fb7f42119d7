// Spec dump: renders a RunSpec (or any proto message) as indented "name: value" lines with
// every field shown, defaults included, like Polygraph's start-up dump. Used by
// `loadsim-master --check` so a user sees every effective value before a run. Stateless.
#ifndef LOADSIM_MASTER_SPEC_DUMP_H_
#define LOADSIM_MASTER_SPEC_DUMP_H_

#include <string>

#include "google/protobuf/message.h"

namespace loadsim {

// Every field of `message`, recursively. Unset message fields are printed as "(unset)";
// repeated fields list each element; a oneof prints only its chosen member.
std::string DumpMessage(const google::protobuf::Message& message);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_SPEC_DUMP_H_
