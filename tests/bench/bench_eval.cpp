// COCO keypoint evaluation at the size of COCO val2017 (8,000 images, 20,000 people, 26,000
// detections), generated deterministically: posekd's time per stage against pycocotools' on
// the same files when /usr/bin/python3 can import it (PYTHONPATH may point at a local copy).
// Prints figures and the ratio; never fails on time.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>

#include "posekd/core/skeleton.h"
#include "posekd/data/dataset.h"
#include "posekd/eval/keypoint_eval.h"
#include "posekd/eval/predictions.h"
#include "posekd/eval/run_eval.h"

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void generate(const std::string& gt_path, const std::string& dt_path, int images, int people, int detections) {
  std::mt19937_64 rng(20240607);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> n(0, 1);
  std::ofstream gt(gt_path), dt(dt_path);
  gt << R"({"categories":[{"id":1,"name":"person","keypoints":["nose","left_eye","right_eye","left_ear","right_ear","left_shoulder","right_shoulder","left_elbow","right_elbow","left_wrist","right_wrist","left_hip","right_hip","left_knee","right_knee","left_ankle","right_ankle"],"skeleton":[]}],"images":[)";
  for (int i = 0; i < images; ++i) gt << (i ? "," : "") << fmt::format(R"({{"id":{},"file_name":"{:012d}.jpg","width":640,"height":480}})", i + 1, i + 1);
  gt << R"(],"annotations":[)";
  struct Person { int image; double x, y, w, h; std::vector<double> kp; };
  std::vector<Person> ps;
  for (int p = 0; p < people; ++p) {
    Person q;
    q.image = 1 + static_cast<int>(u(rng) * images);
    q.w = 10 + u(rng) * u(rng) * 300;
    q.h = q.w * (1 + u(rng));
    q.x = u(rng) * (640 - q.w);
    q.y = u(rng) * 200;
    int labelled = 0;
    for (int j = 0; j < 17; ++j) {
      const int v = u(rng) < 0.15 ? 0 : (u(rng) < 0.7 ? 2 : 1);
      q.kp.insert(q.kp.end(), {v ? std::round(q.x + u(rng) * q.w) : 0, v ? std::round(q.y + u(rng) * q.h) : 0, double(v)});
      labelled += v > 0;
    }
    const bool crowd = u(rng) < 0.01;
    std::string kp;
    for (std::size_t k = 0; k < q.kp.size(); ++k) kp += fmt::format("{}{}", k ? "," : "", q.kp[k]);
    gt << (p ? "," : "")
       << fmt::format(R"({{"id":{},"image_id":{},"category_id":1,"iscrowd":{},"num_keypoints":{},"area":{:.2f},"bbox":[{:.2f},{:.2f},{:.2f},{:.2f}],"keypoints":[{}]}})",
                      p + 1, q.image, crowd ? 1 : 0, labelled, q.w * q.h * 0.6, q.x, q.y, q.w, q.h, kp);
    ps.push_back(std::move(q));
  }
  gt << "]}\n";
  dt << "[";
  for (int d = 0; d < detections; ++d) {
    const Person& q = ps[static_cast<std::size_t>(u(rng) * ps.size())];
    const double sd = (u(rng) < 0.2 ? 0.3 : 0.04) * std::max(q.w, q.h);
    std::string kp;
    for (int j = 0; j < 17; ++j) {
      const double gx = q.kp[3 * j + 2] > 0 ? q.kp[3 * j] : q.x + q.w / 2, gy = q.kp[3 * j + 2] > 0 ? q.kp[3 * j + 1] : q.y + q.h / 2;
      kp += fmt::format("{}{:.2f},{:.2f},{:.3f}", j ? "," : "", gx + n(rng) * sd, gy + n(rng) * sd, u(rng));
    }
    dt << (d ? "," : "") << fmt::format(R"({{"image_id":{},"category_id":1,"score":{:.6f},"keypoints":[{}]}})", q.image, u(rng), kp);
  }
  dt << "]\n";
}

}  // namespace

int main() {
  const int images = 8000, people = 20000, detections = 26000;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / fmt::format("posekd-bench-eval-{}", ::getpid());
  std::filesystem::create_directories(dir);
  const std::string gt_path = (dir / "gt.json").string(), dt_path = (dir / "results.json").string();
  generate(gt_path, dt_path, images, people, detections);
  std::printf("case: %d images, %d people, %d detections (%s, %.1f MB + %.1f MB)\n", images, people, detections,
              dir.c_str(), std::filesystem::file_size(gt_path) / 1e6, std::filesystem::file_size(dt_path) / 1e6);

  // Stages, one core.
  auto t0 = Clock::now();
  const posekd::Dataset gt = posekd::read_dataset(gt_path);
  const posekd::PosePredictions preds = posekd::read_predictions(dt_path, posekd::PredictionFormat::coco_results, gt);
  const double parse = since(t0);
  posekd::KeypointEvalParams params;
  params.sigmas = gt.skeleton.sigmas;
  std::vector<int64_t> ids;
  for (const auto& im : gt.images) ids.push_back(im.id);
  t0 = Clock::now();
  const auto e = posekd::evaluate_keypoints(posekd::eval_ground_truths(gt), preds.detections, ids, params);
  const auto stats = posekd::coco_keypoint_stats(e);
  const double evaluate = since(t0);
  std::printf("posekd stages: parse %.3f s, OKS %.3f s, match %.3f s, accumulate %.3f s\n", parse, e.times.oks, e.times.match,
              e.times.accumulate);

  // End to end, as pose-eval runs it (best of 3).
  posekd::EvalOptions o;
  o.ground_truth = gt_path;
  o.predictions = {dt_path};
  double total = 1e9;
  for (int r = 0; r < 3; ++r) {
    t0 = Clock::now();
    posekd::evaluate(o);
    total = std::min(total, since(t0));
  }
  std::printf("posekd total (pose-eval's evaluate(), best of 3): %.3f s  [parse+evaluate above: %.3f s]\n", total, parse + evaluate);
  std::printf("posekd stats:");
  for (double s : stats) std::printf(" %.17g", s);
  std::printf("\n");

  const std::string script = (dir / "ref.py").string();
  std::ofstream(script) << "import sys, time, io, contextlib, json\n"
                           "import numpy as np\n"
                           "np.float = float\n"
                           "from pycocotools.coco import COCO\n"
                           "from pycocotools.cocoeval import COCOeval\n"
                           "t = time.perf_counter()\n"
                           "with contextlib.redirect_stdout(io.StringIO()):\n"
                           "    g = COCO(sys.argv[1]); d = g.loadRes(sys.argv[2])\n"
                           "    e = COCOeval(g, d, 'keypoints'); e.params.useSegm = None\n"
                           "    e.evaluate(); e.accumulate(); e.summarize()\n"
                           "print('%.3f' % (time.perf_counter() - t))\n"
                           "print(' '.join(repr(float(s)) for s in e.stats))\n";
  if (std::system("MPLBACKEND=Agg /usr/bin/python3 -c 'import pycocotools' >/dev/null 2>&1") != 0) {
    std::printf("reference: pycocotools not importable by /usr/bin/python3 (set PYTHONPATH): no ratio\n");
  } else {
    const std::string cmd = "MPLBACKEND=Agg /usr/bin/python3 " + script + " " + gt_path + " " + dt_path;
    FILE* pipe = ::popen(cmd.c_str(), "r");
    char line[4096];
    std::string out;
    while (pipe && std::fgets(line, sizeof line, pipe)) out += line;
    if (pipe) ::pclose(pipe);
    const double ref = std::atof(out.c_str());
    std::printf("pycocotools total: %.3f s\nratio (pycocotools / posekd total): %.1fx\n", ref, ref / total);
    const auto nl = out.find('\n');
    if (nl != std::string::npos) {
      std::printf("pycocotools stats: %s", out.substr(nl + 1).c_str());
      double worst = 0;
      const char* p = out.c_str() + nl + 1;
      for (double s : stats) {
        char* end = nullptr;
        const double r = std::strtod(p, &end);
        worst = std::max(worst, std::fabs(r - s));
        p = end;
      }
      std::printf("max |posekd - pycocotools| over the 10 stats: %.3g\n", worst);
    }
  }
  if (!std::getenv("POSEKD_BENCH_KEEP")) std::filesystem::remove_all(dir);
}
