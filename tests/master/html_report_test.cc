#include "master/html_report.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "master/results_files.h"
#include "pugixml.hpp"
#include "tests/master/results_fixture.h"
#include "worker/recorder.h"

namespace loadsim {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kReportText[] =
    "\n** REPORT **\n\n* Client\n  Cpu Time : user 32.40 sys 3.90  total 00:00:36\n"
    "request   count  failed\nPUT{event}  118  6\n\n*** FAIL\nGreater than 1% PUT{event} failed\n";

// The page parsed as XML; fails the test if it is not well-formed.
struct Parsed {
  pugi::xml_document doc;
  pugi::xml_node html;
};

void Parse(const std::string& html, Parsed* out) {
  pugi::xml_parse_result r = out->doc.load_string(html.c_str(), pugi::parse_default);
  ASSERT_TRUE(r) << r.description() << " at offset " << r.offset << ": "
                 << html.substr(r.offset > 80 ? r.offset - 80 : 0, 160);
  out->html = out->doc.child("html");
  ASSERT_TRUE(out->html);
}

std::vector<pugi::xml_node> All(pugi::xml_node root, const char* xpath) {
  std::vector<pugi::xml_node> out;
  for (const pugi::xpath_node& n : root.select_nodes(xpath)) out.push_back(n.node());
  return out;
}

// All descendant text of `n`, concatenated.
std::string Text(pugi::xml_node n) {
  struct Walker : pugi::xml_tree_walker {
    std::string text;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() == pugi::node_pcdata || node.type() == pugi::node_cdata) text += node.value();
      return true;
    }
  } w;
  n.traverse(w);
  return w.text;
}

TEST(HtmlReportTest, IsWellFormedWithEverySection) {
  const v1::Results r = testing::MakeSampleResults();
  Parsed p;
  Parse(RenderHtmlReport(r, kReportText), &p);
  std::set<std::string> ids;
  for (pugi::xml_node s : All(p.html, "//section")) ids.insert(s.attribute("id").value());
  EXPECT_EQ(ids, (std::set<std::string>{"summary", "charts", "labels", "distributions", "rules",
                                        "phases", "workers", "server", "failures", "text-report"}));
  // Every navigation link points at a section of the page.
  for (pugi::xml_node a : All(p.html, "//nav/a")) {
    std::string href = a.attribute("href").value();
    ASSERT_EQ(href[0], '#');
    EXPECT_EQ(ids.count(href.substr(1)), 1u) << href;
  }
  EXPECT_STREQ(p.html.child("head").child_value("title"),
               "loadsim FAIL \xE2\x80\x94 11/14 22:13:20");
}

TEST(HtmlReportTest, VerdictListsEveryReason) {
  const v1::Results r = testing::MakeSampleResults();
  Parsed p;
  Parse(RenderHtmlReport(r, kReportText), &p);
  pugi::xml_node header = p.html.select_node("//header").node();
  EXPECT_STREQ(header.attribute("class").value(), "fail");
  EXPECT_STREQ(header.select_node(".//div[@class='badge']").node().child_value(), "FAIL");
  std::vector<std::string> reasons;
  for (pugi::xml_node li : All(p.html, "//ol[@class='reasons']/li")) reasons.push_back(Text(li));
  EXPECT_EQ(reasons,
            std::vector<std::string>(r.verdict().failures().begin(), r.verdict().failures().end()));

  v1::Results pass = r;
  pass.mutable_verdict()->clear_failures();
  pass.mutable_verdict()->set_pass(true);
  Parsed q;
  Parse(RenderHtmlReport(pass, ""), &q);
  EXPECT_STREQ(q.html.select_node("//header").node().attribute("class").value(), "pass");
  EXPECT_TRUE(All(q.html, "//ol[@class='reasons']").empty());
}

TEST(HtmlReportTest, EverySvgHasDataPoints) {
  const v1::Results r = testing::MakeSampleResults();
  Parsed p;
  Parse(RenderHtmlReport(r, kReportText), &p);
  std::vector<pugi::xml_node> svgs = All(p.html, "//svg");
  ASSERT_FALSE(svgs.empty());
  for (pugi::xml_node svg : svgs) {
    std::vector<pugi::xml_node> lines = All(svg, ".//polyline");
    ASSERT_FALSE(lines.empty()) << svg.attribute("aria-label").value();
    for (pugi::xml_node line : lines) {
      std::vector<std::string> pts =
          absl::StrSplit(line.attribute("points").value(), ' ', absl::SkipEmpty());
      EXPECT_FALSE(pts.empty()) << svg.attribute("aria-label").value();
      for (const std::string& pt : pts) {
        std::vector<std::string> xy = absl::StrSplit(pt, ',');
        ASSERT_EQ(xy.size(), 2u) << pt;
        double x = std::stod(xy[0]), y = std::stod(xy[1]);
        double w = svg.attribute("width").as_double(), h = svg.attribute("height").as_double();
        EXPECT_TRUE(x >= 0 && x <= w && y >= 0 && y <= h) << pt << " outside the chart";
      }
    }
  }
  // Charts over time have one point per interval.
  pugi::xml_node users = p.html.select_node("//svg[@aria-label='Users alive']").node();
  ASSERT_TRUE(users);
  std::vector<pugi::xml_node> dots = All(users, ".//circle");
  ASSERT_EQ(dots.size(), static_cast<size_t>(r.intervals_size()));
  EXPECT_THAT(Text(dots[3]), HasSubstr(": 40 users"));
  EXPECT_THAT(Text(dots[11]), HasSubstr(": 27 users"));
  // One distribution chart per label with samples.
  size_t with_samples = 0;
  for (const v1::LabelStats& ls : r.labels()) with_samples += ls.count() > 0;
  EXPECT_EQ(All(p.html, "//section[@id='distributions']//svg").size(), with_samples);
  // Phases are shaded on the time charts.
  EXPECT_FALSE(All(p.html, "//section[@id='charts']//svg//*[@class='band-label']").empty());
}

TEST(HtmlReportTest, DistributionCurveIsTheHistogramQuantiles) {
  const v1::Results r = testing::MakeSampleResults();
  Parsed p;
  Parse(RenderHtmlReport(r, kReportText), &p);
  pugi::xml_node put =
      p.html.select_node("//section[@id='distributions']//svg[@aria-label='PUT{event}']").node();
  ASSERT_TRUE(put);
  absl::StatusOr<LabelRecorder> rec = LabelRecorder::FromProto(r.labels(2));
  ASSERT_TRUE(rec.ok());
  ASSERT_EQ(rec->label(), "PUT{event}");
  std::vector<pugi::xml_node> dots = All(put, ".//circle");
  ASSERT_GE(dots.size(), 21u);  // 0%, 90%, 99% and the points between
  EXPECT_THAT(Text(dots[10]),
              HasSubstr(absl::StrFormat("p90: %.6g ms", rec->ValueAtQuantileUs(0.9) / 1000.0)));
  EXPECT_THAT(Text(dots[20]),
              HasSubstr(absl::StrFormat("p99: %.6g ms", rec->ValueAtQuantileUs(0.99) / 1000.0)));
}

TEST(HtmlReportTest, LabelTableShowsTheSummaryNumbers) {
  const v1::Results r = testing::MakeSampleResults();
  Parsed p;
  Parse(RenderHtmlReport(r, kReportText), &p);
  for (const v1::LabelSummary& s : r.summaries()) {
    pugi::xml_node row;
    for (pugi::xml_node tr : All(p.html, "//section[@id='labels']//table/tbody/tr")) {
      // The first row of the label is in its percentile table (the threshold table follows).
      if (!row && Text(tr.first_child()) == s.label()) row = tr;
    }
    ASSERT_TRUE(row) << s.label();
    std::vector<std::string> cells;
    for (pugi::xml_node td : row.children("td")) cells.push_back(Text(td));
    ASSERT_GE(cells.size(), 13u);
    EXPECT_EQ(cells[1], std::to_string(s.count()));
    EXPECT_EQ(cells[2], std::to_string(s.failures()));
    EXPECT_EQ(cells[8], absl::StrFormat("%.3f", s.p50_s() * 1000));
    EXPECT_EQ(cells[10], absl::StrFormat("%.3f", s.p99_s() * 1000));
    EXPECT_EQ(cells[12], absl::StrFormat("%.3f", s.max_s() * 1000));
    bool failed = false;
    for (const v1::VerdictRule& rule : r.verdict().rules()) {
      failed |= rule.label() == s.label() && !rule.passed();
    }
    if (!IsSchedulingLabel(s.label())) {
      EXPECT_EQ(cells[13], failed ? "FAIL" : "ok") << s.label();
    }
  }
}

TEST(HtmlReportTest, PhasesWorkersServerAndFailures) {
  const v1::Results r = testing::MakeSampleResults();
  Parsed p;
  Parse(RenderHtmlReport(r, kReportText), &p);
  std::vector<pugi::xml_node> phases = All(p.html, "//section[@id='phases']/div[@class='phase']");
  ASSERT_EQ(phases.size(), 2u);
  EXPECT_EQ(Text(phases[0].child("h3")), "Phase 1: warm");
  EXPECT_EQ(Text(phases[1].child("h3")), "Phase 2: plateau");
  EXPECT_EQ(All(phases[1], ".//table").size(), 3u);  // requests, operations, scheduling

  std::vector<pugi::xml_node> workers = All(p.html, "//section[@id='workers']//tbody/tr");
  ASSERT_EQ(workers.size(), 3u);
  EXPECT_STREQ(workers[2].attribute("class").value(), "lost");
  EXPECT_THAT(Text(workers[2]), HasSubstr("lost after 88.5 s: no heartbeat for 3 s"));

  EXPECT_THAT(Text(p.html.select_node("//section[@id='server']").node()), HasSubstr("23.4%"));
  EXPECT_EQ(
      All(p.html, "//section[@id='failures']//table[contains(@class,'samples')]/tbody/tr").size(),
      static_cast<size_t>(r.failure_samples_size()));
  EXPECT_EQ(Text(p.html.select_node("//pre[@class='report']").node()), kReportText);
}

TEST(HtmlReportTest, ReferencesNothingOutsideTheFile) {
  const v1::Results r = testing::MakeSampleResults();
  const std::string html = RenderHtmlReport(r, kReportText);
  Parsed p;
  Parse(html, &p);
  for (const char* tag : {"script", "link", "img", "iframe", "object", "embed", "image", "use"}) {
    EXPECT_TRUE(All(p.html, (std::string("//") + tag).c_str()).empty()) << tag;
  }
  for (pugi::xpath_node a : p.html.select_nodes("//@href | //@src | //@xlink:href")) {
    EXPECT_EQ(a.attribute().value()[0], '#') << a.attribute().value();
  }
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  // http:// appears only as text (the server URL), never in markup.
  for (pugi::xpath_node a : p.html.select_nodes("//@*")) {
    EXPECT_THAT(std::string(a.attribute().value()), Not(HasSubstr("http://")));
  }
}

TEST(HtmlReportTest, EscapesEveryStringFromTheRun) {
  v1::Results r = testing::MakeSampleResults();
  const std::string evil = "PUT{<b>&amp;\"'</b>}";
  r.mutable_labels(2)->set_label(evil);
  r.mutable_summaries(2)->set_label(evil);
  for (v1::IntervalResults& in : *r.mutable_intervals()) {
    for (v1::LabelStats& ls : *in.mutable_labels()) {
      if (ls.label() == "PUT{event}") ls.set_label(evil);
    }
  }
  for (v1::VerdictRule& rule : *r.mutable_verdict()->mutable_rules()) {
    if (rule.label() == "PUT{event}") rule.set_label(evil);
  }
  r.mutable_phases(0)->set_name("<script>alert(1)</script>");
  r.mutable_run()->add_client_failures("user01: <script>&\x02");
  r.mutable_workers(0)->set_host("a\"b<c>");
  const std::string text = "report <pre> & </pre>";
  const std::string html = RenderHtmlReport(r, text);
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  Parsed p;
  Parse(html, &p);
  EXPECT_EQ(Text(p.html.select_node("//pre[@class='report']").node()), text);
  bool found = false;
  for (pugi::xml_node td : All(p.html, "//section[@id='labels']//td")) found |= Text(td) == evil;
  EXPECT_TRUE(found);
  found = false;
  for (pugi::xml_node svg : All(p.html, "//svg"))
    found |= svg.attribute("aria-label").value() == evil;
  EXPECT_TRUE(found) << "the distribution chart of the label";
  found = false;
  for (pugi::xml_node li : All(p.html, "//section[@id='failures']//li")) {
    found |= Text(li) == "user01: <script>&\xEF\xBF\xBD";
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
}

TEST(HtmlReportTest, EmptyResultsStillRender) {
  v1::Results r;
  Parsed p;
  Parse(RenderHtmlReport(r, ""), &p);
  EXPECT_TRUE(All(p.html, "//svg").empty());
  EXPECT_THAT(Text(p.html.select_node("//section[@id='charts']").node()),
              HasSubstr("No intervals"));
}

TEST(HtmlReportTest, UnreadableHistogramIsShownNotHidden) {
  v1::Results r = testing::MakeSampleResults();
  r.mutable_labels(0)->mutable_histogram()->add_count(5);
  Parsed p;
  Parse(RenderHtmlReport(r, ""), &p);
  EXPECT_THAT(Text(p.html.select_node("//p[@class='warning']").node()),
              HasSubstr(r.labels(0).label()));
}

}  // namespace
}  // namespace loadsim
