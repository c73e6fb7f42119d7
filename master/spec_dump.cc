#include "master/spec_dump.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"

namespace loadsim {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string Scalar(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return absl::StrFormat("%g", rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return absl::StrFormat("%g", rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->name() == "password") s = s.empty() ? "" : "********";
      return absl::StrCat("\"", s, "\"");
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "?";
}

void Dump(const Message& m, int depth, std::string* out) {
  const Reflection* r = m.GetReflection();
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const std::string indent(depth * 2, ' ');
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->containing_oneof() != nullptr && !r->HasField(m, f)) continue;
    if (f->is_repeated()) {
      int n = r->FieldSize(m, f);
      if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
        std::string items;
        for (int k = 0; k < n; ++k) absl::StrAppend(&items, k ? ", " : "", Scalar(m, f, k));
        absl::StrAppend(out, indent, f->name(), ": [", items, "]\n");
        continue;
      }
      absl::StrAppend(out, indent, f->name(), ": ", n == 0 ? "[]" : "", "\n");
      for (int k = 0; k < n; ++k) {
        absl::StrAppend(out, indent, "  [", k, "]\n");
        Dump(r->GetRepeatedMessage(m, f, k), depth + 2, out);
      }
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!r->HasField(m, f)) {
        absl::StrAppend(out, indent, f->name(), ": (unset)\n");
        continue;
      }
      const Message& sub = r->GetMessage(m, f);
      // Origins and distributions read better on one line.
      if (f->message_type()->name() == "Origin") {
        const auto* sd = sub.GetDescriptor();
        absl::StrAppend(out, indent, f->name(), ": ",
                        sub.GetReflection()->GetString(sub, sd->FindFieldByName("file")), ":",
                        sub.GetReflection()->GetInt32(sub, sd->FindFieldByName("line")), "\n");
        continue;
      }
      if (f->message_type()->name() == "Distribution") {
        const auto* sd = sub.GetDescriptor();
        absl::StrAppend(out, indent, f->name(), ": ",
                        sub.GetReflection()->GetString(sub, sd->FindFieldByName("text")), "\n");
        continue;
      }
      absl::StrAppend(out, indent, f->name(), ":\n");
      Dump(sub, depth + 1, out);
      continue;
    }
    absl::StrAppend(out, indent, f->name(), ": ", Scalar(m, f, -1), "\n");
  }
}

}  // namespace

std::string DumpMessage(const Message& message) {
  std::string out;
  Dump(message, 0, &out);
  return out;
}

}  // namespace loadsim
