#include "master/html_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/histogram.h"
#include "common/thresholds.h"
#include "master/results_files.h"
#include "master/verdict.h"
#include "worker/dav_xml.h"
#include "worker/recorder.h"

namespace loadsim {
namespace {

// ---------------------------------------------------------------------------------------------
// Labels

enum class LabelKind { kRequest, kOperation, kScheduling };

// The text report's classification (master/verdict.h): the generator's own lines (lag{...},
// blocked{...}), operations ("create", "poll", "startup: ..."), and requests, which include
// AUTH{scheme} exchanges and labels without braces such as MKCALENDAR.
LabelKind KindOf(absl::string_view label) {
  if (IsSchedulingLabel(label)) return LabelKind::kScheduling;
  return IsOperationLabel(label) ? LabelKind::kOperation : LabelKind::kRequest;
}

constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
                                    "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#5f6b7a"};

// A label's statistics decoded once; `recorder` is empty (and `error` set) when unreadable.
struct Decoded {
  std::string label;
  LabelKind kind;
  LabelRecorder recorder;
  std::string error;
};

struct IntervalPoint {
  LabelKind kind;
  uint64_t count, failures, p50_us, p99_us;
};

Decoded Decode(const v1::LabelStats& ls) {
  absl::StatusOr<LabelRecorder> r = LabelRecorder::FromProto(ls);
  if (r.ok()) return {ls.label(), KindOf(ls.label()), *std::move(r), ""};
  return {ls.label(), KindOf(ls.label()), LabelRecorder(ls.label()),
          std::string(r.status().message())};
}

// ---------------------------------------------------------------------------------------------
// Formatting

std::string Ms(double us) { return absl::StrFormat("%.3f", us / 1000.0); }

std::string Percent(double part, double whole) {
  return whole > 0 ? absl::StrFormat("%.2f%%", 100.0 * part / whole) : "0.00%";
}

// 3725 -> "1:02:05", 125 -> "2:05".
std::string Clock(double seconds) {
  int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 0) s = 0;
  if (s >= 3600) return absl::StrFormat("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string Seconds(double seconds) {
  return absl::StrFormat("%.1f s (%s)", seconds, Clock(seconds));
}

std::string UtcTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------------------------
// Charts: inline SVG line charts.

struct Series {
  std::string name;
  std::string color;
  bool dashed = false;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
};

struct Band {
  double x0, x1;
  std::string name;
};

struct Chart {
  std::string title;
  std::string y_unit;
  bool percentile_x = false;  // x = log10(1 / (1 - q)); else seconds since the start
  double x_min = 0, x_max = 1;
  int width = 620, height = 250;
  bool allow_log_y = false;  // latencies: logarithmic when they span over two decades
  std::vector<Series> series;
  std::vector<Band> bands;
};

// A step of 1, 2 or 5 times a power of ten giving about `target` intervals over `range`.
double NiceStep(double range, int target) {
  if (!(range > 0)) return 1;
  double raw = range / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

double TimeStep(double range) {
  static const double kSteps[] = {1,   2,   5,    10,   15,   30,    60,    120,   300,
                                  600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400};
  for (double s : kSteps) {
    if (range / s <= 8) return s;
  }
  return NiceStep(range, 8);
}

std::string TickNumber(double v, double step) {
  int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  return absl::StrFormat("%.*f", decimals, v);
}

// The tick at x = nines: 0%, 90%, 99%, 99.9%, 99.99%, ...
std::string PercentileTick(int nines) {
  if (nines == 0) return "0%";
  if (nines == 1) return "90%";
  return absl::StrCat("99", nines > 2 ? "." : "", std::string(std::max(0, nines - 2), '9'), "%");
}

std::string XLabel(const Chart& c, double x) {
  if (!c.percentile_x) return absl::StrCat("t=", Clock(x));
  return absl::StrFormat("p%.6g", 100.0 * (1.0 - std::pow(10.0, -x)));
}

// The value axis: linear from 0, or logarithmic by decades when the values span more than
// two decades (a few 30 s timeouts would otherwise flatten every other line).
struct ValueAxis {
  bool log = false;
  double lo = 0, hi = 1;
  std::vector<std::pair<double, std::string>> ticks;

  static ValueAxis For(const Chart& c) {
    double max = 0, min_positive = 0;
    for (const Series& s : c.series) {
      for (const auto& p : s.points) {
        max = std::max(max, p.second);
        if (p.second > 0 && (min_positive == 0 || p.second < min_positive)) {
          min_positive = p.second;
        }
      }
    }
    ValueAxis a;
    if (c.allow_log_y && min_positive > 0 && max / min_positive > 100) {
      a.log = true;
      int d0 = static_cast<int>(std::floor(std::log10(min_positive)));
      int d1 = static_cast<int>(std::ceil(std::log10(max)));
      if (d1 == d0) ++d1;
      a.lo = std::pow(10.0, d0);
      a.hi = std::pow(10.0, d1);
      for (int d = d0; d <= d1; ++d) {
        for (int m : {1, 2, 5}) {
          double v = m * std::pow(10.0, d);
          if (v > a.hi * 1.0001 || (m != 1 && d1 - d0 > 2)) continue;
          a.ticks.emplace_back(v, TickNumber(v, std::pow(10.0, d)));
        }
      }
      return a;
    }
    double step = NiceStep(max > 0 ? max * 1.05 : 1, 5);
    a.hi = max > 0 ? std::ceil(max * 1.05 / step) * step : step * 5;
    for (double v = 0; v <= a.hi + step / 2; v += step)
      a.ticks.emplace_back(v, TickNumber(v, step));
    return a;
  }

  // 0 at the bottom of the plot, 1 at the top.
  double Fraction(double y) const {
    if (!log) return y / hi;
    return (std::log10(std::max(y, lo)) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  }
};

std::string RenderChart(const Chart& c) {
  const double ml = 58, mr = 16, mt = 22, mb = 34;
  const double pw = c.width - ml - mr, ph = c.height - mt - mb;
  const ValueAxis axis = ValueAxis::For(c);
  double x_span = c.x_max > c.x_min ? c.x_max - c.x_min : 1;
  auto X = [&](double x) { return ml + (x - c.x_min) / x_span * pw; };
  auto Y = [&](double y) { return mt + ph - axis.Fraction(y) * ph; };

  std::string svg = absl::StrFormat(
      "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
      "aria-label=\"%s\">\n",
      c.width, c.height, c.width, c.height, HtmlEscape(c.title));
  absl::StrAppendFormat(&svg,
                        "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\"/>\n",
                        ml, mt, pw, ph);
  std::string band_labels;  // drawn over the grid lines
  for (size_t i = 0; i < c.bands.size(); ++i) {
    const Band& b = c.bands[i];
    double x0 = X(std::max(b.x0, c.x_min)), x1 = X(std::min(b.x1, c.x_max));
    if (x1 <= x0) continue;
    absl::StrAppendFormat(&svg,
                          "<rect class=\"band band%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\"><title>phase %s</title></rect>\n",
                          i % 2, x0, mt, x1 - x0, ph, HtmlEscape(b.name));
    absl::StrAppendFormat(&band_labels,
                          "<text class=\"band-label\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", x0 + 4,
                          mt + 12, HtmlEscape(b.name));
  }
  for (const auto& [y, text] : axis.ticks) {
    absl::StrAppendFormat(&svg,
                          "<line class=\"gridline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                          "y2=\"%.1f\"/><text class=\"tick y\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                          ml, Y(y), ml + pw, Y(y), ml - 6, Y(y) + 4, text);
  }
  if (c.percentile_x) {
    for (int n = 0; n <= static_cast<int>(std::floor(c.x_max + 1e-9)); ++n) {
      absl::StrAppendFormat(&svg,
                            "<line class=\"gridline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                            "y2=\"%.1f\"/><text class=\"tick x\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                            X(n), mt, X(n), mt + ph, X(n), mt + ph + 16, PercentileTick(n));
    }
  } else {
    double step = TimeStep(x_span);
    for (double x = std::ceil(c.x_min / step) * step; x <= c.x_max + 1e-9; x += step) {
      absl::StrAppendFormat(&svg,
                            "<line class=\"gridline\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                            "y2=\"%.1f\"/><text class=\"tick x\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                            X(x), mt, X(x), mt + ph, X(x), mt + ph + 16, Clock(x));
    }
  }
  svg += band_labels;
  absl::StrAppendFormat(&svg, "<text class=\"unit\" x=\"%.1f\" y=\"%.1f\">%s%s</text>\n", 4.0, 12.0,
                        HtmlEscape(c.y_unit), axis.log ? " (log scale)" : "");
  absl::StrAppendFormat(&svg, "<text class=\"unit x\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", ml + pw,
                        c.height - 4.0, c.percentile_x ? "percentile" : "time since start (m:ss)");
  for (const Series& s : c.series) {
    std::vector<std::string> coords;
    for (const auto& p : s.points) {
      coords.push_back(absl::StrFormat("%.1f,%.1f", X(p.first), Y(p.second)));
    }
    absl::StrAppendFormat(&svg,
                          "<polyline class=\"series\" fill=\"none\" stroke=\"%s\"%s "
                          "points=\"%s\"><title>%s</title></polyline>\n",
                          s.color, s.dashed ? " stroke-dasharray=\"6 3\"" : "",
                          absl::StrJoin(coords, " "), HtmlEscape(s.name));
    if (s.points.size() > 150) continue;  // the line alone; markers would hide it
    for (const auto& p : s.points) {
      absl::StrAppendFormat(&svg,
                            "<circle class=\"pt\" cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">"
                            "<title>%s %s: %.6g %s</title></circle>\n",
                            X(p.first), Y(p.second), s.color, HtmlEscape(s.name),
                            XLabel(c, p.first), p.second, HtmlEscape(c.y_unit));
    }
  }
  svg += "</svg>\n";

  std::string out = absl::StrCat("<figure class=\"chart\"><figcaption>", HtmlEscape(c.title),
                                 "</figcaption>\n", svg, "<ul class=\"legend\">");
  for (const Series& s : c.series) {
    absl::StrAppendFormat(&out,
                          "<li><span class=\"swatch%s\" style=\"border-color:%s\"></span>%s</li>",
                          s.dashed ? " dashed" : "", s.color, HtmlEscape(s.name));
  }
  out += "</ul></figure>\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Page builder

class Page {
 public:
  Page(const v1::Results& results, absl::string_view report_text)
      : r_(results), report_text_(report_text) {
    for (int i = 0; i < r_.labels_size(); ++i) {
      totals_.push_back(Decode(r_.labels(i)));
      color_[r_.labels(i).label()] = kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
      if (!totals_.back().error.empty()) {
        warnings_.push_back(absl::StrCat("statistics of ", totals_.back().label,
                                         " unreadable: ", totals_.back().error));
      }
    }
    for (const v1::VerdictRule& rule : r_.verdict().rules()) {
      if (!rule.passed() && !rule.label().empty()) {
        failed_rules_[rule.label()].push_back(rule.message());
      }
    }
    for (const v1::PhaseResults& p : r_.phases()) {
      bands_.push_back({p.start_seconds(), p.end_seconds(), p.name()});
    }
  }

  std::string Render() {
    Head();
    Summary();
    Charts();
    LabelTables();
    Distributions();
    Rules();
    Phases();
    Workers();
    Server();
    Failures();
    absl::StrAppend(&out_, "<section id=\"text-report\"><h2>Text report</h2><pre class=\"report\">",
                    HtmlEscape(report_text_), "</pre></section>\n");
    absl::StrAppend(&out_, "<footer>Generated by loadsim ", HtmlEscape(r_.loadsim_version()),
                    " from results schema ", r_.schema_version(),
                    ". Self-contained: no script, font or image is fetched.</footer>\n",
                    "</main>\n</body>\n</html>\n");
    return std::move(out_);
  }

 private:
  const char* ColorOf(const std::string& label) const {
    auto it = color_.find(label);
    return it == color_.end() ? kPalette[0] : it->second;
  }

  void Head() {
    const bool pass = r_.verdict().pass();
    absl::StrAppend(&out_,
                    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n",
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n",
                    "<title>loadsim ", pass ? "PASS" : "FAIL", " \xE2\x80\x94 ",
                    HtmlEscape(r_.run().start_time_local()), "</title>\n<style>\n", kCss,
                    "</style>\n", "</head>\n<body>\n");
    absl::StrAppend(&out_, "<header class=\"", pass ? "pass" : "fail", "\"><div class=\"badge\">",
                    pass ? "PASS" : "FAIL", "</div><div><h1>loadsim run report</h1><p>started ",
                    HtmlEscape(r_.run().start_time_local()), " (",
                    HtmlEscape(UtcTime(r_.run().start_unix_ms())), "), ran ",
                    HtmlEscape(Seconds(r_.run().ran_seconds())),
                    ", ended: ", HtmlEscape(r_.run().end_reason()), ", exit status ",
                    r_.run().exit_status(), "</p></div></header>\n");
    out_ +=
        "<nav><a href=\"#summary\">Summary</a><a href=\"#charts\">Over time</a>"
        "<a href=\"#labels\">Labels</a><a href=\"#distributions\">Distributions</a>"
        "<a href=\"#rules\">Verdict rules</a><a href=\"#phases\">Phases</a>"
        "<a href=\"#workers\">Workers</a><a href=\"#server\">Server</a>"
        "<a href=\"#failures\">Failures</a><a href=\"#text-report\">Text report</a></nav>\n"
        "<main>\n";
    for (const std::string& w : warnings_) {
      absl::StrAppend(&out_, "<p class=\"warning\">", HtmlEscape(w), "</p>\n");
    }
  }

  void Card(absl::string_view name, absl::string_view value, absl::string_view note = "") {
    absl::StrAppend(&out_, "<div class=\"card\"><div class=\"name\">", HtmlEscape(name),
                    "</div><div class=\"value\">", HtmlEscape(value), "</div>");
    if (!note.empty()) absl::StrAppend(&out_, "<div class=\"note\">", HtmlEscape(note), "</div>");
    out_ += "</div>";
  }

  void KeyValue(absl::string_view key, absl::string_view value) {
    absl::StrAppend(&out_, "<tr><th>", HtmlEscape(key), "</th><td>", HtmlEscape(value),
                    "</td></tr>\n");
  }

  void Summary() {
    const v1::RunSummary& run = r_.run();
    out_ += "<section id=\"summary\"><h2>Verdict</h2>\n";
    if (r_.verdict().pass()) {
      absl::StrAppend(&out_, "<p class=\"ok\">PASS: every rule held (", r_.verdict().rules_size(),
                      " checked).</p>\n");
    } else {
      out_ += "<ol class=\"reasons\">\n";
      for (const std::string& f : r_.verdict().failures()) {
        absl::StrAppend(&out_, "<li>", HtmlEscape(f), "</li>\n");
      }
      out_ += "</ol>\n";
    }

    uint64_t requests = 0, failures = 0, operations = 0;
    Histogram all_requests;
    for (const Decoded& d : totals_) {
      if (d.kind == LabelKind::kRequest) {
        requests += d.recorder.count();
        failures += d.recorder.failures();
        all_requests.Merge(d.recorder.histogram());
      } else if (d.kind == LabelKind::kOperation) {
        operations += d.recorder.count();
      }
    }
    int lost = 0;
    for (const v1::WorkerResults& w : r_.workers()) lost += w.lost() ? 1 : 0;
    out_ += "<div class=\"cards\">";
    Card("Requests", absl::StrCat(requests),
         absl::StrFormat("%.2f/s", run.ran_seconds() > 0 ? requests / run.ran_seconds() : 0.0));
    Card("Failed requests", absl::StrCat(failures), Percent(failures, requests));
    Card("Requests p50", absl::StrCat(Ms(all_requests.ValueAtQuantile(0.5)), " ms"),
         "all request labels");
    Card("Requests p99", absl::StrCat(Ms(all_requests.ValueAtQuantile(0.99)), " ms"),
         "all request labels");
    Card("Operations", absl::StrCat(operations));
    Card("Users", absl::StrCat(run.users()), absl::StrCat(run.clients(), " clients"));
    Card("QoS", run.has_qos() ? absl::StrFormat("%.4f", run.qos()) : "None", "1.0 = on benchmark");
    Card("Workers", absl::StrCat(r_.workers_size()), absl::StrCat(lost, " lost"));
    out_ += "</div>\n";

    out_ += "<h3>Run</h3><table class=\"kv\">\n";
    KeyValue("Start time",
             absl::StrCat(run.start_time_local(), " local, ", UtcTime(run.start_unix_ms())));
    KeyValue("Planned", Seconds(run.planned_seconds()));
    KeyValue("Ran", Seconds(run.ran_seconds()));
    KeyValue("End", run.end_reason());
    KeyValue("Exit status", absl::StrCat(run.exit_status()));
    KeyValue("Seed", absl::StrCat(run.seed()));
    KeyValue("Users",
             absl::StrCat(run.users(), " sent requests, ", run.users_assigned(), " assigned"));
    KeyValue("Clients", absl::StrCat(run.clients()));
    KeyValue("CPU time (workers)",
             absl::StrFormat("user %.2f s, system %.2f s", run.cpu_user_seconds(),
                             run.cpu_system_seconds()));
    KeyValue("QoS", run.has_qos() ? absl::StrFormat("%.4f", run.qos()) : "None");
    const v1::RunSpec& spec = r_.spec();
    KeyValue("Server", spec.server().url());
    if (!spec.config_file().empty()) KeyValue("Configuration", spec.config_file());
    if (!spec.clients_file().empty()) KeyValue("Clients file", spec.clients_file());
    if (!spec.workload_file().empty()) KeyValue("Workload", spec.workload_file());
    for (const v1::ObserverSpec& o : spec.observers()) {
      if (o.has_report_statistics()) {
        const v1::ReportStatisticsParams& p = o.report_statistics();
        KeyValue("Request thresholds", p.thresholds().requests().source());
        KeyValue("Fail cutoff (requests)", absl::StrFormat("%g%%", p.fail_cutoff_percent()));
        if (!p.benchmarks().source().empty()) KeyValue("Benchmarks", p.benchmarks().source());
      }
      if (o.has_operation_logger()) {
        const v1::OperationLoggerParams& p = o.operation_logger();
        KeyValue("Operation thresholds", p.thresholds().source());
        KeyValue("Lag cutoff (operations)", absl::StrFormat("%g s", p.lag_cutoff_seconds()));
      }
    }
    out_ += "</table>\n</section>\n";
  }

  // ---- charts over time

  Chart TimeChart(std::string title, std::string unit) const {
    Chart c;
    c.title = std::move(title);
    c.y_unit = std::move(unit);
    c.x_min = r_.intervals(0).start_seconds();
    c.x_max = r_.intervals(r_.intervals_size() - 1).end_seconds();
    c.bands = bands_;
    return c;
  }

  // Up to 8 labels of `kind` with the most samples, in label order.
  std::vector<std::string> TopLabels(LabelKind kind, size_t n) const {
    std::vector<const Decoded*> v;
    for (const Decoded& d : totals_) {
      if (d.kind == kind && d.recorder.count() > 0) v.push_back(&d);
    }
    std::stable_sort(v.begin(), v.end(), [](const Decoded* a, const Decoded* b) {
      return a->recorder.count() > b->recorder.count();
    });
    if (v.size() > n) v.resize(n);
    std::vector<std::string> out;
    for (const Decoded* d : v) out.push_back(d->label);
    std::sort(out.begin(), out.end());
    return out;
  }

  // Per interval and label: the few numbers the charts need (a decoded histogram is 14 KB;
  // a long run has thousands of interval-label pairs).
  void DecodeIntervals() {
    for (const v1::IntervalResults& in : r_.intervals()) {
      std::map<std::string, IntervalPoint> m;
      for (const v1::LabelStats& ls : in.labels()) {
        Decoded d = Decode(ls);
        m.emplace(ls.label(), IntervalPoint{d.kind, d.recorder.count(), d.recorder.failures(),
                                            d.recorder.ValueAtQuantileUs(0.5),
                                            d.recorder.ValueAtQuantileUs(0.99)});
      }
      intervals_.push_back(std::move(m));
    }
  }

  Series QuantileSeries(const std::string& label, bool p99, bool dashed) const {
    Series s{absl::StrCat(label, p99 ? " p99" : " p50"), ColorOf(label), dashed, {}};
    for (int i = 0; i < r_.intervals_size(); ++i) {
      auto it = intervals_[i].find(label);
      if (it == intervals_[i].end() || it->second.count == 0) continue;
      s.points.emplace_back(r_.intervals(i).end_seconds(),
                            (p99 ? it->second.p99_us : it->second.p50_us) / 1000.0);
    }
    return s;
  }

  void Charts() {
    out_ += "<section id=\"charts\"><h2>Over time</h2>\n";
    if (r_.intervals_size() == 0) {
      out_ += "<p>No intervals were recorded.</p></section>\n";
      return;
    }
    DecodeIntervals();
    out_ += "<div class=\"grid\">\n";

    Chart rate = TimeChart("Throughput", "per second");
    Series req{"requests/s", "#4e79a7", false, {}}, ops{"operations/s", "#59a14f", true, {}};
    Chart errors = TimeChart("Failures", "per second");
    Series req_err{"failed requests/s", "#e15759", false, {}};
    Series ops_err{"failed operations/s", "#b07aa1", true, {}};
    Chart users = TimeChart("Users alive", "users");
    Series alive{"users alive", "#f28e2b", false, {}};
    for (int i = 0; i < r_.intervals_size(); ++i) {
      const v1::IntervalResults& in = r_.intervals(i);
      double len = in.end_seconds() - in.start_seconds();
      uint64_t rq = 0, rf = 0, oq = 0, of = 0;
      for (const auto& [label, d] : intervals_[i]) {
        if (d.kind == LabelKind::kRequest) {
          rq += d.count;
          rf += d.failures;
        } else if (d.kind == LabelKind::kOperation) {
          oq += d.count;
          of += d.failures;
        }
      }
      double t = in.end_seconds();
      if (len > 0) {
        req.points.emplace_back(t, rq / len);
        ops.points.emplace_back(t, oq / len);
        req_err.points.emplace_back(t, rf / len);
        ops_err.points.emplace_back(t, of / len);
      }
      alive.points.emplace_back(t, static_cast<double>(in.users_alive()));
    }
    rate.series = {req, ops};
    errors.series = {req_err, ops_err};
    users.series = {alive};
    out_ += RenderChart(rate);
    out_ += RenderChart(users);

    std::vector<std::string> top = TopLabels(LabelKind::kRequest, 8);
    for (const std::string& l : TopLabels(LabelKind::kOperation, 4)) top.push_back(l);
    for (bool p99 : {false, true}) {
      Chart lat = TimeChart(absl::StrCat("Latency ", p99 ? "p99" : "p50",
                                         " per label (requests solid, operations dashed)"),
                            "ms");
      lat.allow_log_y = true;
      for (const std::string& l : top) {
        Series s = QuantileSeries(l, p99, KindOf(l) == LabelKind::kOperation);
        if (!s.points.empty()) lat.series.push_back(std::move(s));
      }
      if (!lat.series.empty()) out_ += RenderChart(lat);
    }
    out_ += RenderChart(errors);

    Chart lag = TimeChart("Generator scheduling delay p99 (lag: due to sent)", "ms");
    lag.allow_log_y = true;
    for (const std::string& l : TopLabels(LabelKind::kScheduling, 4)) {
      Series s = QuantileSeries(l, true, false);
      if (!s.points.empty()) lag.series.push_back(std::move(s));
    }
    if (!lag.series.empty()) out_ += RenderChart(lag);
    out_ += "</div>\n";
    if (TopLabels(LabelKind::kRequest, 1000).size() > 8) {
      out_ +=
          "<p class=\"note\">Latency charts show the 8 request labels with the most samples; "
          "intervals.csv has every label.</p>\n";
    }
    out_ += "</section>\n";
  }

  // ---- tables

  void LabelTable(const std::vector<const v1::LabelStats*>& labels, double seconds,
                  bool with_status) {
    out_ +=
        "<table class=\"data\"><thead><tr><th class=\"l\">label</th><th>count</th>"
        "<th>failed</th><th>failed %</th><th>rate/s</th><th>mean ms</th><th>stddev ms</th>"
        "<th>min ms</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th>"
        "<th>max ms</th>";
    if (with_status) out_ += "<th>status</th>";
    out_ += "</tr></thead><tbody>\n";
    for (const v1::LabelStats* ls : labels) {
      absl::StatusOr<v1::LabelSummary> s = SummarizeLabel(*ls, seconds);
      if (!s.ok()) {
        absl::StrAppend(&out_, "<tr><td class=\"l\">", HtmlEscape(ls->label()),
                        "</td><td colspan=\"13\">", HtmlEscape(s.status().message()),
                        "</td></tr>\n");
        continue;
      }
      absl::StrAppend(&out_, "<tr><td class=\"l\"><span class=\"dot\" style=\"background:",
                      ColorOf(ls->label()), "\"></span>", HtmlEscape(ls->label()), "</td><td>",
                      s->count(), "</td><td>", s->failures(), "</td><td>",
                      Percent(s->failures(), s->count()), "</td><td>",
                      absl::StrFormat("%.3f", s->rate_per_s()), "</td>");
      for (double v : {s->mean_s(), s->stddev_s(), s->min_s(), s->p50_s(), s->p90_s(), s->p99_s(),
                       s->p999_s(), s->max_s()}) {
        absl::StrAppend(&out_, "<td>", absl::StrFormat("%.3f", v * 1000.0), "</td>");
      }
      if (with_status) {
        auto f = failed_rules_.find(ls->label());
        if (f == failed_rules_.end()) {
          out_ += "<td class=\"ok\">ok</td>";
        } else {
          absl::StrAppend(&out_, "<td class=\"bad\" title=\"",
                          HtmlEscape(absl::StrJoin(f->second, "\n")), "\">FAIL</td>");
        }
      }
      out_ += "</tr>\n";
    }
    out_ += "</tbody></table>\n";
  }

  std::vector<const v1::LabelStats*> OfKind(
      const google::protobuf::RepeatedPtrField<v1::LabelStats>& all, LabelKind kind) const {
    std::vector<const v1::LabelStats*> out;
    for (const v1::LabelStats& ls : all) {
      if (KindOf(ls.label()) == kind) out.push_back(&ls);
    }
    return out;
  }

  // `with_status`: a column saying whether a verdict rule of the label failed (whole run only:
  // the verdict judges the run, not a phase).
  void KindTables(const google::protobuf::RepeatedPtrField<v1::LabelStats>& all, double seconds,
                  absl::string_view heading, bool with_status) {
    struct Group {
      LabelKind kind;
      const char* title;
    };
    for (const Group& g :
         {Group{LabelKind::kRequest, "Requests"}, Group{LabelKind::kOperation, "Operations"},
          Group{LabelKind::kScheduling, "Generator scheduling (lag, blocked)"}}) {
      std::vector<const v1::LabelStats*> labels = OfKind(all, g.kind);
      if (labels.empty()) continue;
      absl::StrAppend(&out_, "<", heading, ">", g.title, "</", heading, ">\n");
      LabelTable(labels, seconds, with_status && g.kind != LabelKind::kScheduling);
    }
  }

  // "3 (2.50%) > 5%" per limit, red when the share exceeds the label's allowance.
  void ThresholdTable() {
    const v1::ThresholdTable* requests = nullptr;
    const v1::ThresholdTable* operations = nullptr;
    for (const v1::ObserverSpec& o : r_.spec().observers()) {
      if (o.has_report_statistics()) requests = &o.report_statistics().thresholds().requests();
      if (o.has_operation_logger()) operations = &o.operation_logger().thresholds();
    }
    std::vector<uint64_t> limits;
    for (const v1::LabelStats& ls : r_.labels()) {
      if (ls.limits_us_size() > static_cast<int>(limits.size())) {
        limits.assign(ls.limits_us().begin(), ls.limits_us().end());
      }
    }
    if (limits.empty()) return;
    out_ +=
        "<h3>Share of samples over each threshold limit</h3>\n<p class=\"note\">Cell: samples "
        "slower than the limit, their share, and the allowance of the label's thresholds row "
        "(strictly greater fails).</p>\n<table class=\"data\"><thead><tr><th class=\"l\">label"
        "</th>";
    for (uint64_t l : limits) absl::StrAppendFormat(&out_, "<th>&gt;%g sec</th>", l / 1e6);
    out_ += "</tr></thead><tbody>\n";
    for (const v1::LabelStats& ls : r_.labels()) {
      LabelKind kind = KindOf(ls.label());
      if (kind == LabelKind::kScheduling || ls.limits_us_size() == 0) continue;
      const v1::ThresholdTable* table = kind == LabelKind::kRequest ? requests : operations;
      absl::StrAppend(&out_, "<tr><td class=\"l\">", HtmlEscape(ls.label()), "</td>");
      for (int i = 0; i < ls.limits_us_size() && i < ls.over_limit_size(); ++i) {
        double share = ls.count() ? 100.0 * ls.over_limit(i) / ls.count() : 0;
        std::optional<double> allowed;
        if (table != nullptr) {
          const v1::ThresholdTable::Row& row = ThresholdRowFor(*table, ls.label());
          if (i < row.percent_size()) allowed = row.percent(i);
        }
        bool over = allowed && share > *allowed;
        absl::StrAppendFormat(&out_, "<td class=\"%s\">%d (%.2f%%)%s</td>", over ? "bad" : "",
                              ls.over_limit(i), share,
                              allowed ? absl::StrFormat(" \xE2\x89\xA4 %g%%", *allowed) : "");
      }
      out_ += "</tr>\n";
    }
    out_ += "</tbody></table>\n";
  }

  void LabelTables() {
    out_ += "<section id=\"labels\"><h2>Labels (whole run)</h2>\n";
    if (r_.labels_size() == 0) out_ += "<p>No samples were recorded.</p>\n";
    KindTables(r_.labels(), r_.run().ran_seconds(), "h3", true);
    ThresholdTable();
    out_ += "</section>\n";
  }

  void Distributions() {
    out_ +=
        "<section id=\"distributions\"><h2>Latency distributions</h2>\n<p class=\"note\">The "
        "latency at each percentile, read from the label's histogram (bucket midpoints, within "
        "0.8%); the x axis stretches the tail: 90%, 99%, 99.9%, ...</p>\n<div class=\"grid "
        "small\">\n";
    for (const Decoded& d : totals_) {
      const uint64_t n = d.recorder.count();
      if (n == 0) continue;
      Chart c;
      c.title = d.label;
      c.y_unit = "ms";
      c.percentile_x = true;
      c.width = 420;
      c.height = 220;
      c.allow_log_y = true;
      Series s{d.label, ColorOf(d.label), false, {}};
      const double x_end = std::log10(static_cast<double>(n));
      // Ten points per decade of the tail, up to the rank of the last sample.
      for (int k = 0; k <= 60 && k / 10.0 <= x_end + 1e-9; ++k) {
        double q = 1.0 - std::pow(10.0, -k / 10.0);
        s.points.emplace_back(k / 10.0, d.recorder.ValueAtQuantileUs(q) / 1000.0);
      }
      c.x_min = 0;
      c.x_max = std::max(1.0, s.points.back().first);
      c.series.push_back(std::move(s));
      out_ += RenderChart(c);
    }
    out_ += "</div>\n</section>\n";
  }

  void RuleRows(bool failed_only) {
    out_ +=
        "<table class=\"data\"><thead><tr><th class=\"l\">kind</th><th class=\"l\">label</th>"
        "<th>observed</th><th>limit</th><th>result</th><th class=\"l\">message</th></tr>"
        "</thead><tbody>\n";
    for (const v1::VerdictRule& rule : r_.verdict().rules()) {
      if (failed_only && rule.passed()) continue;
      absl::StrAppend(&out_, "<tr><td class=\"l\">", HtmlEscape(rule.kind()),
                      "</td><td class=\"l\">", HtmlEscape(rule.label()), "</td><td>",
                      absl::StrFormat("%g", rule.observed()), "</td><td>",
                      absl::StrFormat("%g", rule.limit()), "</td>",
                      rule.passed() ? "<td class=\"ok\">pass</td>" : "<td class=\"bad\">FAIL</td>",
                      "<td class=\"l\">", HtmlEscape(rule.message()), "</td></tr>\n");
    }
    out_ += "</tbody></table>\n";
  }

  void Rules() {
    int failed = 0;
    for (const v1::VerdictRule& rule : r_.verdict().rules()) failed += rule.passed() ? 0 : 1;
    absl::StrAppend(&out_, "<section id=\"rules\"><h2>Verdict rules</h2>\n<p>",
                    r_.verdict().rules_size(), " rules checked, ", failed, " failed.</p>\n");
    if (failed > 0) RuleRows(true);
    if (r_.verdict().rules_size() > 0) {
      out_ += "<details><summary>Every rule checked</summary>\n";
      RuleRows(false);
      out_ += "</details>\n";
    }
    out_ += "</section>\n";
  }

  static std::string GoalText(const v1::GoalSpec& g) {
    std::vector<std::string> parts;
    if (g.duration_seconds() > 0) parts.push_back(absl::StrFormat("%g s", g.duration_seconds()));
    if (g.xactions() > 0) parts.push_back(absl::StrCat(g.xactions(), " transactions"));
    if (g.errors() > 0) {
      parts.push_back(g.errors() < 1 ? absl::StrFormat("%g%% errors", 100 * g.errors())
                                     : absl::StrFormat("%g errors", g.errors()));
    }
    return parts.empty() ? "none" : absl::StrJoin(parts, " or ");
  }

  void Phases() {
    out_ += "<section id=\"phases\"><h2>Phases</h2>\n";
    if (r_.phases_size() == 0) out_ += "<p>The run had no phase schedule.</p>\n";
    for (const v1::PhaseResults& p : r_.phases()) {
      const double len = p.end_seconds() - p.start_seconds();
      absl::StrAppend(
          &out_, "<div class=\"phase\"><h3>Phase ", p.index() + 1, ": ", HtmlEscape(p.name()),
          "</h3>\n<p>", Clock(p.start_seconds()), " \xE2\x86\x92 ", Clock(p.end_seconds()), " (",
          absl::StrFormat("%.1f s", len), "), ended by ", HtmlEscape(p.ended_by()), "; goal ",
          HtmlEscape(GoalText(p.spec().goal())),
          absl::StrFormat("; load %g%% \xE2\x86\x92 %g%%, population %g%% "
                          "\xE2\x86\x92 %g%%",
                          100 * p.spec().load_factor_beg(), 100 * p.spec().load_factor_end(),
                          100 * p.spec().populus_factor_beg(), 100 * p.spec().populus_factor_end()),
          "</p>\n");
      if (p.labels_size() == 0) out_ += "<p>No samples in this phase.</p>\n";
      KindTables(p.labels(), len, "h4", false);
      out_ += "</div>\n";
    }
    out_ += "</section>\n";
  }

  void Workers() {
    out_ += "<section id=\"workers\"><h2>Workers</h2>\n";
    if (r_.workers_size() == 0) {
      out_ += "<p>No worker reported.</p></section>\n";
      return;
    }
    out_ +=
        "<table class=\"data\"><thead><tr><th>#</th><th class=\"l\">host</th><th>pid</th>"
        "<th>users</th><th>requests</th><th>failures</th><th>CPU user s</th><th>CPU sys s</th>"
        "<th>RSS MB</th><th>lag p99 ms</th><th class=\"l\">state</th></tr></thead><tbody>\n";
    for (const v1::WorkerResults& w : r_.workers()) {
      std::string state = w.lost() ? absl::StrFormat("lost after %.1f s", w.lost_after_seconds())
                          : w.finished() ? "finished"
                                         : "did not finish";
      if (!w.error().empty()) absl::StrAppend(&state, ": ", w.error());
      absl::StrAppend(&out_, "<tr", w.lost() ? " class=\"lost\"" : "", "><td>", w.index(),
                      "</td><td class=\"l\">", HtmlEscape(w.host()), "</td><td>", w.pid(),
                      "</td><td>", w.users(), "</td><td>", w.requests(), "</td><td>", w.failures(),
                      "</td><td>", absl::StrFormat("%.2f", w.cpu_user_seconds()), "</td><td>",
                      absl::StrFormat("%.2f", w.cpu_system_seconds()), "</td><td>",
                      absl::StrFormat("%.1f", w.rss_bytes() / 1048576.0), "</td><td>",
                      absl::StrFormat("%.3f", w.lag_p99_ms()), "</td><td class=\"l",
                      w.lost() || !w.error().empty() ? " bad" : "", "\">", HtmlEscape(state),
                      "</td></tr>\n");
    }
    out_ += "</tbody></table>\n</section>\n";
  }

  void Server() {
    const v1::ServerStatsResults& s = r_.server_stats();
    out_ += "<section id=\"server\"><h2>Server (last 5 minutes)</h2>\n";
    if (!s.enabled()) {
      out_ += "<p>The stats socket was not enabled (serverStats).</p>\n";
    } else if (!s.available()) {
      absl::StrAppend(&out_, "<p class=\"bad\">No server statistics: ", HtmlEscape(s.error()),
                      "</p>\n");
    } else {
      out_ += "<table class=\"kv\">\n";
      KeyValue("CPU", absl::StrFormat("%.1f%%", s.cpu_percent()));
      KeyValue("Requests per second", absl::StrFormat("%.1f", s.req_per_second()));
      KeyValue("Response", absl::StrFormat("%.1f ms", s.response_ms()));
      KeyValue("Slots", absl::StrFormat("%.2f", s.slots()));
      out_ += "</table>\n";
    }
    out_ += "</section>\n";
  }

  void Failures() {
    const v1::RunSummary& run = r_.run();
    out_ += "<section id=\"failures\"><h2>Failures</h2>\n";
    if (run.client_failures_size() > 0) {
      absl::StrAppend(&out_, "<h3>Failed clients (", run.client_failures_size(), ")</h3><ol>\n");
      for (const std::string& f : run.client_failures()) {
        absl::StrAppend(&out_, "<li>", HtmlEscape(f), "</li>\n");
      }
      out_ += "</ol>\n";
    }
    bool any_reason = false;
    for (const v1::LabelStats& ls : r_.labels()) any_reason |= ls.failure_reasons_size() > 0;
    if (any_reason) {
      out_ +=
          "<h3>Failure reasons per label</h3><table class=\"data\"><thead><tr><th class=\"l\">"
          "label</th><th class=\"l\">reason</th><th>count</th></tr></thead><tbody>\n";
      for (const v1::LabelStats& ls : r_.labels()) {
        std::map<std::string, uint64_t> sorted(ls.failure_reasons().begin(),
                                               ls.failure_reasons().end());
        for (const auto& [reason, count] : sorted) {
          absl::StrAppend(&out_, "<tr><td class=\"l\">", HtmlEscape(ls.label()),
                          "</td><td class=\"l\">", HtmlEscape(reason), "</td><td>", count,
                          "</td></tr>\n");
        }
      }
      out_ += "</tbody></table>\n";
    }
    if (!any_reason && run.client_failures_size() == 0) out_ += "<p>No failures.</p>\n";
    if (r_.failure_samples_size() > 0) {
      out_ +=
          "<h3>Failure samples</h3><table class=\"data samples\"><thead><tr><th>worker</th>"
          "<th>at</th><th class=\"l\">user</th><th class=\"l\">label</th><th class=\"l\">"
          "request</th><th>status</th><th class=\"l\">reason</th><th class=\"l\">response "
          "body</th></tr></thead><tbody>\n";
      std::vector<const v1::FailureSample*> samples;
      for (const v1::FailureSample& f : r_.failure_samples()) samples.push_back(&f);
      std::stable_sort(samples.begin(), samples.end(),
                       [](const v1::FailureSample* a, const v1::FailureSample* b) {
                         return a->at_seconds() < b->at_seconds();
                       });
      for (const v1::FailureSample* sample : samples) {
        const v1::FailureSample& f = *sample;
        absl::StrAppend(&out_, "<tr><td>", f.worker_index(), "</td><td>",
                        absl::StrFormat("%.3f s", f.at_seconds()), "</td><td class=\"l\">",
                        HtmlEscape(f.user()), "</td><td class=\"l\">", HtmlEscape(f.label()),
                        "</td><td class=\"l url\">", HtmlEscape(f.method()), " ",
                        HtmlEscape(f.url()), "</td><td>",
                        f.status() ? absl::StrCat(f.status()) : "none", "</td><td class=\"l\">",
                        HtmlEscape(f.reason()), "</td><td class=\"l\"><pre class=\"body\">",
                        HtmlEscape(f.body_excerpt()), "</pre></td></tr>\n");
      }
      out_ += "</tbody></table>\n";
    }
    out_ += "</section>\n";
  }

  static constexpr const char* kCss = R"css(
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  font-size: 14px; color: #1d232a; background: #f4f5f7; }
header { display: flex; align-items: center; gap: 18px; padding: 14px 24px; color: #fff; }
header.pass { background: #2f7d46; }
header.fail { background: #b3261e; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0 0; }
.badge { font-size: 30px; font-weight: 700; border: 3px solid #fff; border-radius: 6px;
  padding: 4px 14px; letter-spacing: 2px; }
nav { position: sticky; top: 0; z-index: 2; background: #263238; padding: 6px 24px; }
nav a { color: #e3e8ec; margin-right: 16px; text-decoration: none; font-size: 13px; }
main { max-width: 1400px; margin: 0 auto; padding: 4px 24px 24px 24px; }
section { background: #fff; border-radius: 6px; padding: 6px 18px 14px 18px; margin: 16px 0;
  box-shadow: 0 1px 2px rgba(0, 0, 0, 0.12); }
h2 { font-size: 19px; border-bottom: 1px solid #dde1e5; padding-bottom: 6px; }
h3 { font-size: 16px; margin: 18px 0 8px 0; }
h4 { font-size: 14px; margin: 14px 0 6px 0; }
.reasons li { color: #b3261e; font-weight: 600; margin: 3px 0; }
.ok { color: #2f7d46; }
.bad { color: #b3261e; font-weight: 600; }
.note { color: #5f6b7a; font-size: 12px; }
.warning { background: #fff4ce; padding: 6px 10px; border-left: 4px solid #e0a800; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid #dde1e5; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card .name { color: #5f6b7a; font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0 10px 0; }
table.kv th { text-align: left; padding: 2px 18px 2px 0; color: #5f6b7a; font-weight: 500; }
table.kv td { padding: 2px 0; }
table.data { font-size: 13px; }
table.data th, table.data td { padding: 3px 8px; text-align: right; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
table.data th { background: #eef1f4; border-bottom: 1px solid #c9d0d6; }
table.data tbody tr:nth-child(even) { background: #f7f8fa; }
table.data .l { text-align: left; }
table.data td.bad { background: #fdecea; }
tr.lost td { background: #fdecea; }
td.url { max-width: 380px; overflow: hidden; text-overflow: ellipsis; }
pre.body { margin: 0; max-width: 420px; max-height: 90px; overflow: auto; font-size: 11px;
  white-space: pre-wrap; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 6px; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 20px; }
figure.chart { margin: 8px 0; }
figure.chart figcaption { font-weight: 600; margin-bottom: 2px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .plot { fill: #fbfcfd; stroke: #c9d0d6; }
svg .gridline { stroke: #e3e7eb; stroke-width: 1; }
svg .tick { font-size: 11px; fill: #5f6b7a; }
svg .tick.y { text-anchor: end; }
svg .tick.x { text-anchor: middle; }
svg .unit { font-size: 11px; fill: #5f6b7a; }
svg .unit.x { text-anchor: end; }
svg .band0 { fill: #e8f0fb; }
svg .band1 { fill: #f3ecf8; }
svg .band-label { font-size: 11px; fill: #3d4a57; font-style: italic; }
svg .series { stroke-width: 2; }
ul.legend { list-style: none; padding: 0; margin: 2px 0 0 0; display: flex; flex-wrap: wrap;
  gap: 2px 14px; font-size: 12px; max-width: 620px; }
.swatch { display: inline-block; width: 18px; border-top: 3px solid; margin-right: 5px;
  vertical-align: middle; }
.swatch.dashed { border-top-style: dashed; }
pre.report { font-size: 12px; background: #f7f8fa; padding: 10px; overflow-x: auto; }
footer { color: #5f6b7a; font-size: 12px; text-align: center; padding: 10px; }
)css";

  const v1::Results& r_;
  absl::string_view report_text_;
  std::string out_;
  std::vector<Decoded> totals_;
  std::vector<std::map<std::string, IntervalPoint>> intervals_;
  std::map<std::string, const char*> color_;
  std::map<std::string, std::vector<std::string>> failed_rules_;
  std::vector<Band> bands_;
  std::vector<std::string> warnings_;
};

}  // namespace

std::string XmlSafeText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) {
      out += "\xEF\xBF\xBD";
    } else {
      out += c;
    }
  }
  return out;
}

std::string HtmlEscape(absl::string_view text) { return XmlEscape(XmlSafeText(text)); }

std::string RenderHtmlReport(const v1::Results& results, absl::string_view report_text) {
  return Page(results, report_text).Render();
}

}  // namespace loadsim
