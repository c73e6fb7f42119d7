// HTML report: report.html, one self-contained page rendering a run's Results message.
//
// Sections: the verdict with every reason and the run's key figures, charts over time from the
// intervals (throughput, latency p50 and p99 per label, users alive, failures, generator lag),
// the latency distribution of every label (a percentile curve read from its histogram), the
// label tables with percentiles and threshold shares, every verdict rule, per-phase sections,
// workers, server statistics, failure reasons and samples, and the text report verbatim.
// Charts are inline SVG drawn here; styles are inline CSS; there is no script and nothing is
// fetched, so the file opens offline. The output is well-formed XML (XHTML syntax), and every
// string from the run is escaped. Stateless; safe to call from any thread.
#ifndef LOADSIM_MASTER_HTML_REPORT_H_
#define LOADSIM_MASTER_HTML_REPORT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "loadsim/v1/results.pb.h"

namespace loadsim {

// `report_text`: the text report as printed on stdout, shown in full at the end.
std::string RenderHtmlReport(const v1::Results& results, absl::string_view report_text);

// `text` with control characters other than tab and line breaks replaced by U+FFFD: XML 1.0
// does not allow them, not even escaped.
std::string XmlSafeText(absl::string_view text);

// XmlSafeText(text) with &, <, >, " and ' escaped (XmlEscape of worker/dav_xml.h).
std::string HtmlEscape(absl::string_view text);

}  // namespace loadsim

#endif  // LOADSIM_MASTER_HTML_REPORT_H_
