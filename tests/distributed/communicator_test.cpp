// The collectives of a distributed run, on real Gloo process groups: two ranks as two threads of this process, meeting
// through a TCPStore on the loopback interface as separate processes do (distributed::connect).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ATen/ATen.h>

#include <functional>
#include <future>
#include <thread>

#include "ssd/builder/model.h"
#include "ssd/distributed/connect.h"
#include "ssd/distributed/gradient_buckets.h"
#include "ssd/eval/evaluator.h"
#include "test_data.h"

using namespace ssd;

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Runs body(communicator) as ranks 0 and 1 of one run, each in its own thread; returns what each returned.
template <typename T>
std::vector<T> on_two_ranks(const std::function<T(distributed::Communicator&)>& body, double timeout_s = 60) {
  const int port = free_port();
  config::DistributedConfig config;
  config.timeout_s = timeout_s;
  std::vector<std::future<T>> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.push_back(std::async(std::launch::async, [=] {
      distributed::LaunchEnv env;
      env.rank = rank, env.world_size = 2, env.master_addr = "127.0.0.1", env.master_port = port, env.source = "test";
      auto communicator = distributed::connect(env, config, c10::Device(c10::kCPU));
      return body(*communicator);
    }));
  std::vector<T> out;
  for (auto& r : ranks) out.push_back(r.get());
  return out;
}

}  // namespace

TEST(Communicator, CollectivesGiveEveryRankTheSameAnswer) {
  struct Seen {
    std::vector<double> sums;
    bool any_true = false, any_false = true;
    std::vector<float> broadcast;
    std::string bytes;
    std::vector<std::string> gathered;
  };
  const auto seen = on_two_ranks<Seen>([](distributed::Communicator& c) {
    Seen s;
    s.sums = c.sum(std::vector<double>{1.0 + c.rank(), 10.0 * c.rank()}, "test sums");
    s.any_true = c.any(c.rank() == 1, "test any");
    s.any_false = c.any(false, "test any");
    std::vector<at::Tensor> t{at::full({3}, static_cast<float>(c.rank() + 5))};
    c.broadcast(t, "test broadcast");
    s.broadcast = {t[0].data_ptr<float>(), t[0].data_ptr<float>() + 3};
    s.bytes = c.broadcast_bytes(c.rank() == 0 ? std::string("rank zero's\0bytes", 17) : "ignored", "test bytes");
    s.gathered = c.gather_bytes(std::string(static_cast<size_t>(3 + 5 * c.rank()), static_cast<char>('a' + c.rank())), "test gather");
    c.barrier("test barrier", std::chrono::seconds(30));
    return s;
  });
  for (const auto& s : seen) {
    EXPECT_EQ(s.sums, (std::vector<double>{3.0, 10.0}));
    EXPECT_TRUE(s.any_true);
    EXPECT_FALSE(s.any_false);
    EXPECT_EQ(s.broadcast, (std::vector<float>{5, 5, 5}));
    EXPECT_EQ(s.bytes, std::string("rank zero's\0bytes", 17));
    EXPECT_EQ(s.gathered, (std::vector<std::string>{"aaa", "bbbbbbbb"}));
  }
}

TEST(Communicator, AloneEveryCollectiveIsTheIdentity) {
  const auto c = distributed::alone();
  EXPECT_TRUE(c->alone());
  EXPECT_EQ(c->sum(std::vector<double>{2.5}, "x"), std::vector<double>{2.5});
  EXPECT_TRUE(c->any(true, "x"));
  EXPECT_EQ(c->gather_bytes("abc", "x"), std::vector<std::string>{"abc"});
}

TEST(GradientBuckets, SumsEveryGradientAcrossRanksWhateverTheBucketSize) {
  for (const double bucket_mb : {0.0, 0.0001, 25.0}) {
    const auto grads = on_two_ranks<std::vector<at::Tensor>>([bucket_mb](distributed::Communicator& c) {
      std::vector<at::Tensor> parameters;
      for (int64_t n : {7, 300, 1, 64}) parameters.push_back(at::zeros({n}).requires_grad_());
      parameters.push_back(at::zeros({4, 3, 2, 2}).contiguous(at::MemoryFormat::ChannelsLast).requires_grad_());
      for (size_t i = 0; i < parameters.size(); ++i)
        if (!(c.rank() == 1 && i == 2))  // rank 1's backward did not reach parameter 2
          parameters[i].mutable_grad() = at::arange(parameters[i].numel(), at::kFloat).view(parameters[i].sizes()) * (c.rank() + 1) + static_cast<double>(i);
      distributed::GradientBuckets buckets(parameters, bucket_mb, std::shared_ptr<const distributed::Communicator>(&c, [](auto*) {}));
      buckets.sum_gradients();
      std::vector<at::Tensor> out;
      for (const auto& p : parameters) out.push_back(p.grad().clone());
      return out;
    });
    for (size_t i = 0; i < grads[0].size(); ++i) {
      const auto n = grads[0][i].numel();
      const auto ramp = at::arange(n, at::kFloat).view(grads[0][i].sizes());
      const auto expected = i == 2 ? ramp + static_cast<double>(i) : ramp * 3 + 2.0 * static_cast<double>(i);
      EXPECT_TRUE(at::equal(grads[0][i], expected)) << "bucket_mb " << bucket_mb << ", parameter " << i;
      EXPECT_TRUE(at::equal(grads[1][i], expected)) << "bucket_mb " << bucket_mb << ", parameter " << i;
    }
  }
}

// distributed.overlap: the hooks fill the buckets during backward and start their sums; the result is the same.
TEST(GradientBuckets, OverlapFromGradientHooksGivesTheSameSums) {
  for (const double bucket_mb : {0.0, 0.0001, 25.0}) {
    const auto grads = on_two_ranks<std::vector<at::Tensor>>([bucket_mb](distributed::Communicator& c) {
      std::vector<at::Tensor> parameters;
      for (int64_t n : {7, 300, 1, 64}) parameters.push_back(at::ones({n}).requires_grad_());
      distributed::GradientBuckets buckets(parameters, bucket_mb, std::shared_ptr<const distributed::Communicator>(&c, [](auto*) {}),
                                           /*overlap=*/true);
      for (int step = 0; step < 2; ++step) {  // the second step starts from fresh buckets
        for (auto& p : parameters) p.mutable_grad().reset();
        at::Tensor loss = at::zeros({});
        for (size_t i = 0; i < parameters.size(); ++i)
          if (!(c.rank() == 1 && i == 2))  // rank 1's backward does not reach parameter 2
            loss = loss + (parameters[i] * (static_cast<double>(c.rank() + 1) * static_cast<double>(i + 1))).sum();
        buckets.begin_step();
        loss.backward();
        buckets.sum_gradients();
      }
      std::vector<at::Tensor> out;
      for (const auto& p : parameters) out.push_back(p.grad().clone());
      return out;
    });
    for (size_t i = 0; i < grads[0].size(); ++i) {
      const double expected = i == 2 ? 3.0 : 3.0 * static_cast<double>(i + 1);  // rank 0: (i + 1), rank 1: 2 (i + 1)
      for (const auto& rank : grads)
        EXPECT_TRUE(at::equal(rank[i], at::full_like(rank[i], expected))) << "bucket_mb " << bucket_mb << ", parameter " << i;
    }
  }
}

TEST(Communicator, ADeadPeerFailsTheOthersAtOnceNamingTheOperation) {
  const auto messages = on_two_ranks<std::string>([](distributed::Communicator& c) -> std::string {
    if (c.rank() == 1) return "";  // leaves: its process group closes, as a dying process's does
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    try {
      c.sum(std::vector<double>{1.0}, "the loss");
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "no error";
  });
  EXPECT_NE(messages[0].find("rank 0 of 2: the loss across processes failed"), std::string::npos) << messages[0];
  EXPECT_NE(messages[0].find("another process of the run died or stopped answering"), std::string::npos) << messages[0];
}

TEST(Communicator, AHungPeerFailsTheOthersAfterTheTimeout) {
  const auto started = std::chrono::steady_clock::now();
  const auto messages = on_two_ranks<std::string>(
      [](distributed::Communicator& c) -> std::string {
        if (c.rank() == 1) {
          std::this_thread::sleep_for(std::chrono::seconds(4));  // hangs past rank 0's timeout, then leaves
          return "";
        }
        try {
          c.sum(std::vector<double>{1.0}, "the gradient sum");
        } catch (const std::runtime_error& e) {
          return e.what();
        }
        return "no error";
      },
      /*timeout_s=*/2);
  EXPECT_NE(messages[0].find("rank 0 of 2: the gradient sum across processes failed"), std::string::npos) << messages[0];
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

// Distributed evaluation: each rank runs every other batch, and all receive exactly what one process computes.
TEST(DistributedEvaluation, EqualsOneProcessExactly) {
  const auto dir = test::temp_dir("distributed_eval");
  const auto root = test::make_shapes(dir, /*train=*/4, /*val=*/11);
  auto c = test::tiny_config(root, dir + "/run");
  const data::DetectionDataset val(test::dataset_options(c.data.val, c.data.classes));
  std::vector<model::Ssd> models;
  for (int i = 0; i < 3; ++i) {
    torch::manual_seed(7);
    models.push_back(builder::model(c));
  }
  eval::EvalOptions options;
  options.batch_size = 3;  // 11 images: batches of 3, 3, 3 and 2, split 2 and 2 between the ranks
  options.workers = 1;
  options.postprocess.score_threshold = 0.0;  // every candidate, so that the comparison covers many boxes
  options.loss = c.loss;
  struct Result {
    std::vector<eval::Detection> detections;
    std::vector<std::string> images;
    double loss = 0;
    std::vector<double> image_losses;
  };
  const auto run = [&](model::Ssd& model, const eval::EvalOptions& o) {
    Result r;
    std::vector<data::Annotation> evaluated;
    r.detections = eval::predict(model, val, o, c10::Device(c10::kCPU), &evaluated, &r.loss, &r.image_losses);
    for (const auto& a : evaluated) r.images.push_back(a.id);
    return r;
  };
  const Result alone = run(models[2], options);
  const auto shared = on_two_ranks<Result>([&](distributed::Communicator& comm) {
    auto o = options;
    o.communicator = std::shared_ptr<const distributed::Communicator>(&comm, [](auto*) {});
    return run(models[static_cast<size_t>(comm.rank())], o);
  });
  ASSERT_GT(alone.detections.size(), 100u);
  // Each image's share of its batch's loss: their mean is the loss (the bootstrap of val/loss resamples them).
  ASSERT_EQ(alone.image_losses.size(), alone.images.size());
  double sum = 0;
  for (const double x : alone.image_losses) sum += x;
  EXPECT_NEAR(sum / static_cast<double>(alone.image_losses.size()), alone.loss, 1e-5 * alone.loss);
  for (const auto& r : shared) {
    EXPECT_EQ(r.images, alone.images);
    EXPECT_EQ(r.loss, alone.loss);
    EXPECT_EQ(r.image_losses, alone.image_losses);
    ASSERT_EQ(r.detections.size(), alone.detections.size());
    for (size_t i = 0; i < r.detections.size(); ++i) {
      const auto &a = alone.detections[i], &b = r.detections[i];
      ASSERT_TRUE(a.image_id == b.image_id && a.label == b.label && a.score == b.score && a.x1 == b.x1 && a.y1 == b.y1 && a.x2 == b.x2 &&
                  a.y2 == b.y2)
          << "detection " << i;
    }
  }
}
