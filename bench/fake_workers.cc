// fake_workers: opens N worker streams to one master and feeds it realistic interval deltas,
// to measure the master's own cost (bench/master_fanin.sh). Each fake worker says Hello with
// the token, takes its assignment, reports Ready, waits for Start, then every second sends a
// delta of L labels (histograms of about B non-empty buckets, failures, threshold counts) and
// a heartbeat, and on Stop sends a final delta and Finished.
// Usage: fake_workers --master HOST:PORT --token T --workers 200 --labels 30 --buckets 100
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/histogram.h"
#include "grpcpp/grpcpp.h"
#include "loadsim/v1/cluster.grpc.pb.h"

ABSL_FLAG(std::string, master, "127.0.0.1:7000", "master address");
ABSL_FLAG(std::string, token, "", "token");
ABSL_FLAG(int, workers, 200, "streams to open");
ABSL_FLAG(int, labels, 30, "labels per delta");
ABSL_FLAG(int, buckets, 100, "non-empty histogram buckets per label");

namespace {

loadsim::v1::IntervalDelta MakeDelta(int64_t interval, int labels, int buckets, std::mt19937_64& rng) {
  loadsim::v1::IntervalDelta d;
  d.set_interval(interval);
  std::lognormal_distribution<double> latency(std::log(20000.0), 1.0);
  for (int l = 0; l < labels; ++l) {
    loadsim::LabelRecorder r(absl::StrCat("LABEL{", l, "}"),
                             {100000, 500000, 1000000, 3000000, 5000000, 10000000, 30000000});
    // Enough samples to fill about `buckets` distinct buckets.
    for (int i = 0; i < buckets * 3; ++i) {
      r.Record(static_cast<uint64_t>(latency(rng)), rng() % 100 != 0, "HTTP 500");
    }
    *d.add_labels() = r.ToProto();
  }
  return d;
}

void RunOne(int id, std::atomic<int>* finished) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, 1 << 30);
  auto channel = grpc::CreateCustomChannel(absl::GetFlag(FLAGS_master),
                                           grpc::InsecureChannelCredentials(), args);
  auto stub = loadsim::v1::Coordinator::NewStub(channel);
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);
  loadsim::v1::WorkerMessage m;
  m.mutable_hello()->set_protocol_version(loadsim::v1::PROTOCOL_VERSION_CURRENT);
  m.mutable_hello()->set_token(absl::GetFlag(FLAGS_token));
  m.mutable_hello()->set_host("fake");
  m.mutable_hello()->set_pid(id);
  stream->Write(m);
  loadsim::v1::MasterMessage in;
  if (!stream->Read(&in) || !in.has_assignment()) return;
  m.Clear();
  m.mutable_ready();
  stream->Write(m);
  if (!stream->Read(&in) || !in.has_start()) return;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    loadsim::v1::MasterMessage x;
    while (stream->Read(&x)) {
      if (x.has_stop() || x.has_abort()) stop.store(true);
    }
    stop.store(true);
  });
  std::mt19937_64 rng(id);
  std::this_thread::sleep_for(std::chrono::milliseconds(in.start().start_in_ms()));
  int64_t interval = 0;
  while (!stop.load()) {
    m.Clear();
    *m.mutable_delta() =
        MakeDelta(interval++, absl::GetFlag(FLAGS_labels), absl::GetFlag(FLAGS_buckets), rng);
    stream->Write(m);
    m.Clear();
    m.mutable_heartbeat()->set_users_alive(50);
    stream->Write(m);
    for (int i = 0; i < 20 && !stop.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  m.Clear();
  *m.mutable_delta() =
      MakeDelta(interval, absl::GetFlag(FLAGS_labels), absl::GetFlag(FLAGS_buckets), rng);
  stream->Write(m);
  m.Clear();
  m.mutable_finished()->set_users(50);
  stream->Write(m);
  stream->WritesDone();
  reader.join();
  stream->Finish();
  finished->fetch_add(1);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::atomic<int> finished{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < absl::GetFlag(FLAGS_workers); ++i) threads.emplace_back(RunOne, i, &finished);
  for (auto& t : threads) t.join();
  std::printf("fake_workers: %d of %d streams finished\n", finished.load(),
              absl::GetFlag(FLAGS_workers));
  return finished.load() == absl::GetFlag(FLAGS_workers) ? 0 : 1;
}
